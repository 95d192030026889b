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

    /** Records that {@code key} expires at {@code time} (epoch millis; {@link Long#MAX_VALUE}: never). */
    public void update(SessionKey key, long time) {
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

    /** Up to {@code max} keys due at {@code now}, earliest first. */
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
