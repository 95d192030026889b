package org.sessiongrid.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

import org.sessiongrid.session.SessionKey;

/**
 * Sessions ordered by the time they expire, so that finding what is due costs the number of due
 * sessions, not a scan of all. Every owner keeps it for the records it holds (primary or backup),
 * so a promoted primary has it ready.
 *
 * <p>An entry may be earlier than the time its record expires, never later. {@link #update} moves an
 * entry only to an earlier time: every request of a live session moves its expiry later, and moving the
 * entry in the ordered set each time would cost a removal and an insertion (two searches, an allocation)
 * on every owner per write. An early entry costs one check when it comes due: the reader of
 * {@link #due} checks the record and moves the entry to its exact time with {@link #set}
 * ({@code RecordStore.due} does).
 *
 * <p>Thread-safe: updates of one key are serialized by the key's entry in {@code timeOf}.
 */
public final class ExpiryIndex {

    private record Entry(long time, SessionKey key) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : key.compareTo(o.key);
        }
    }

    private final ConcurrentSkipListSet<Entry> byTime = new ConcurrentSkipListSet<>();
    private final ConcurrentHashMap<SessionKey, Long> timeOf = new ConcurrentHashMap<>();

    /**
     * Records that {@code key} expires at {@code time} (epoch millis; {@link Long#MAX_VALUE}: never): an
     * entry at a later time than this, or none, moves to {@code time}; an entry at an earlier time stays
     * (see the class comment).
     */
    public void update(SessionKey key, long time) {
        if (time == Long.MAX_VALUE) {
            remove(key);
            return;
        }
        Long known = timeOf.get(key);
        if (known != null && known <= time) {
            // The common case, a later expiry of an indexed session, without taking the key's entry. Safe
            // because RecordStore changes a key's entry only under its record's lock, which its caller holds.
            return;
        }
        timeOf.compute(key, (k, old) -> {
            if (old != null) {
                if (old <= time) {
                    return old;
                }
                byTime.remove(new Entry(old, k));
            }
            byTime.add(new Entry(time, k));
            return time;
        });
    }

    /** Records that {@code key} expires exactly at {@code time}, earlier or later than its entry. */
    public void set(SessionKey key, long time) {
        if (time == Long.MAX_VALUE) {
            remove(key);
            return;
        }
        timeOf.compute(key, (k, old) -> {
            if (old != null) {
                if (old == time) {
                    return old;
                }
                byTime.remove(new Entry(old, k));
            }
            byTime.add(new Entry(time, k));
            return time;
        });
    }

    public void remove(SessionKey key) {
        timeOf.computeIfPresent(key, (k, old) -> {
            byTime.remove(new Entry(old, k));
            return null;
        });
    }

    /** Up to {@code max} keys whose entries are due at {@code now}, earliest first (entries may be early). */
    public List<SessionKey> due(long now, int max) {
        return due(now, max, k -> true);
    }

    /** As {@link #due(long, int)}, counting and returning only the keys {@code include} accepts. */
    public List<SessionKey> due(long now, int max, java.util.function.Predicate<SessionKey> include) {
        List<SessionKey> out = new ArrayList<>();
        for (Entry e : byTime) {
            if (e.time > now || out.size() >= max) {
                break;
            }
            if (include.test(e.key)) {
                out.add(e.key);
            }
        }
        return out;
    }

    public int size() {
        return timeOf.size();
    }
}
