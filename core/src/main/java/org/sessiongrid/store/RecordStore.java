package org.sessiongrid.store;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Predicate;

import org.sessiongrid.placement.SegmentHash;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * The records this node holds, as primary or backup, one map per segment so that a segment can be
 * handed over or dropped as a unit; and, aside, the copies it kept from before an absence ({@link KeptCopies}).
 *
 * <p>Thread-safe; each record is replaced atomically. The store itself applies no ordering rule:
 * callers decide (the primary under its key lock, backups by version).
 */
public final class RecordStore {

    private final int numSegments;
    private final ConcurrentHashMap<SessionKey, SessionRecord>[] segments;
    private final ExpiryIndex expiry = new ExpiryIndex();
    private final KeptCopies kept;

    @SuppressWarnings("unchecked")
    public RecordStore(int numSegments) {
        this.numSegments = numSegments;
        this.kept = new KeptCopies(numSegments);
        this.segments = new ConcurrentHashMap[numSegments];
        for (int i = 0; i < numSegments; i++) {
            segments[i] = new ConcurrentHashMap<>();
        }
    }

    public int numSegments() {
        return numSegments;
    }

    /**
     * The copies this member set aside when it had to rejoin after an absence: not records of this store (no
     * read, expiry or transfer sees them) until a catch-up puts back those still current.
     */
    public KeptCopies kept() {
        return kept;
    }

    /**
     * Moves every record of this store to {@link #kept()}; the caller makes sure that no change is in progress.
     *
     * @param awaySinceNanos when the absence began ({@link System#nanoTime()})
     * @return the number of records moved
     */
    public int setAside(long awaySinceNanos) {
        return setAside(awaySinceNanos, new BitSet());
    }

    /**
     * As {@link #setAside(long)}, noting the segments this member read from under the topology it forgets
     * ({@link KeptCopies#heldWhenSetAside}).
     */
    public int setAside(long awaySinceNanos, BitSet held) {
        return kept.setAside(this, awaySinceNanos, held);
    }

    /** When each held record expires (tombstones: when they may be forgotten). */
    public ExpiryIndex expiryIndex() {
        return expiry;
    }

    private SessionRecord indexed(SessionKey key, SessionRecord r) {
        if (r == null) {
            expiry.remove(key);
        } else {
            expiry.update(key, dueTime(r));
        }
        return r;
    }

    /**
     * When {@code r} is due: its expiry time; for an expiry not announced yet at once, on whichever member
     * is its primary, and for one a container claimed too (the Expirer passes over it while the claim holds).
     */
    private static long dueTime(SessionRecord r) {
        return r.isUnannouncedExpiry() ? r.meta().lastAccessedTime() : r.meta().expiryTime();
    }

    /**
     * Up to {@code max} keys due at {@code now} that {@code include} accepts, earliest first. The expiry
     * index may hold a record earlier than it is due (see {@link ExpiryIndex}): such an entry is moved to
     * the record's time here, under the record's lock, and neither returned nor counted. A key without a
     * record is returned (whoever asks removes its entry).
     */
    public List<SessionKey> due(long now, int max, Predicate<SessionKey> include) {
        return expiry.due(now, max, k -> isDue(k, now) && include.test(k));
    }

    private boolean isDue(SessionKey key, long now) {
        boolean[] due = {false};
        SessionRecord r = segments[segmentOf(key)].computeIfPresent(key, (k, current) -> {
            long t = dueTime(current);
            if (t <= now) {
                due[0] = true;
            } else {
                expiry.set(k, t);
            }
            return current;
        });
        return r == null || due[0];
    }

    public int segmentOf(SessionKey key) {
        return SegmentHash.segmentOf(key.id(), numSegments);
    }

    public SessionRecord get(SessionKey key) {
        return segments[segmentOf(key)].get(key);
    }

    public void put(SessionRecord r) {
        segments[segmentOf(r.key())].compute(r.key(), (k, old) -> indexed(k, r));
    }

    /** Stores {@code r} unless a record of the same or a newer version is already here. */
    public boolean putIfNewer(SessionRecord r) {
        boolean[] stored = {false};
        segments[segmentOf(r.key())].compute(r.key(), (k, old) -> {
            if (old == null || old.version() < r.version()) {
                stored[0] = true;
                return indexed(k, r);
            }
            return old;
        });
        return stored[0];
    }

    /**
     * Keeps the better of the local and the pushed copy after a partition (see {@link #better}).
     *
     * @return true if both copies existed and differed: a merge conflict
     */
    public boolean mergeIn(SessionRecord pushed) {
        boolean[] conflict = {false};
        segments[segmentOf(pushed.key())].compute(pushed.key(), (k, local) -> {
            if (local == null) {
                return indexed(k, pushed);
            }
            if (!local.equals(pushed)) {
                conflict[0] = true;
            }
            SessionRecord kept = merged(pushed, local);
            return kept == local ? local : indexed(k, kept);
        });
        return conflict[0];
    }

    /**
     * The copy a merge keeps of two copies of one session: the {@link #better} one, except that an
     * expiry whose listeners were called on one side stays announced. Both sides of a split may have
     * expired the session; if the side whose copy wins by version had not announced it yet, keeping its
     * copy as it is would make the merged primary call the listeners once more although the other side
     * did. The announced copy is re-versioned to the higher of the two, so no copy of the other side
     * can outrank it. Likewise an end kept over a live copy of the same or a higher version takes the
     * version above that copy's: a member that still holds the live copy (a stale owner, the source of
     * a pull in the rebalance after the merge) must not be able to have it stored over the end, as
     * {@link #putIfNewer} would for a higher version.
     */
    public static SessionRecord merged(SessionRecord a, SessionRecord b) {
        SessionRecord winner = better(a, b) ? a : b;
        SessionRecord loser = winner == a ? b : a;
        SessionRecord kept = winner;
        if (winner.isUnannouncedExpiry() && loser.isTombstone() && !loser.isUnannouncedExpiry()) {
            kept = loser.version() >= winner.version() ? loser : loser.withMeta(loser.meta(), winner.version());
        }
        SessionRecord live = a.isTombstone() ? (b.isTombstone() ? null : b) : a;
        if (kept.isTombstone() && live != null && live.version() >= kept.version()) {
            kept = kept.withMeta(kept.meta(), live.version() + 1);
        }
        return kept;
    }

    /**
     * The merge rule: an invalidation wins over a live copy (a session invalidated on one side stays
     * invalidated); otherwise the higher version wins, and equal versions go to the later access.
     */
    public static boolean better(SessionRecord a, SessionRecord b) {
        if (a.isTombstone() != b.isTombstone()) {
            return a.isTombstone();
        }
        if (a.version() != b.version()) {
            return a.version() > b.version();
        }
        return a.meta().lastAccessedTime() > b.meta().lastAccessedTime();
    }

    /**
     * Atomically replaces the record of {@code key} by what {@code fn} returns for the current one
     * (null: none); returning the current record leaves it, returning null removes it.
     */
    public SessionRecord compute(SessionKey key, BiFunction<SessionKey, SessionRecord, SessionRecord> fn) {
        return segments[segmentOf(key)].compute(key, (k, old) -> {
            SessionRecord next = fn.apply(k, old);
            return next == old ? old : indexed(k, next);
        });
    }

    /** Removes the record of {@code key} if it is still {@code expected}. */
    public boolean remove(SessionKey key, SessionRecord expected) {
        boolean[] removed = {false};
        segments[segmentOf(key)].computeIfPresent(key, (k, old) -> {
            if (old == expected) {
                removed[0] = true;
                return indexed(k, null);
            }
            return old;
        });
        return removed[0];
    }

    /** Up to {@code max} records of a segment in key order, starting after {@code after} (null: from the start). */
    public List<SessionRecord> chunk(int segment, SessionKey after, int max) {
        // Sorting per request keeps the transfer stateless at the source; segments are small (the
        // sessions of the cluster divided by numSegments), so this costs little.
        List<SessionRecord> all = new ArrayList<>(segments[segment].values());
        all.sort((a, b) -> a.key().compareTo(b.key()));
        List<SessionRecord> out = new ArrayList<>(Math.min(max, all.size()));
        for (SessionRecord r : all) {
            if (after == null || r.key().compareTo(after) > 0) {
                out.add(r);
                if (out.size() == max) {
                    break;
                }
            }
        }
        return out;
    }

    /**
     * The records of a segment with keys above {@code after} up to and including {@code through}, in key order
     * (null bounds: open), sorted per request as {@link #chunk} is.
     */
    public List<SessionRecord> range(int segment, SessionKey after, SessionKey through) {
        List<SessionRecord> out = new ArrayList<>();
        for (SessionRecord r : segments[segment].values()) {
            if ((after == null || r.key().compareTo(after) > 0) && (through == null || r.key().compareTo(through) <= 0)) {
                out.add(r);
            }
        }
        out.sort((a, b) -> a.key().compareTo(b.key()));
        return out;
    }

    /**
     * Forgets a segment this node no longer owns. Returns the number of records dropped. Each record
     * leaves the map and the expiry index in one step, as every other change does: a write racing the
     * drop is either dropped with its index entry or kept with it.
     */
    public int dropSegment(int segment) {
        int[] n = {0};
        for (SessionKey k : segments[segment].keySet()) {
            segments[segment].computeIfPresent(k, (key, old) -> {
                n[0]++;
                return indexed(key, null);
            });
        }
        return n[0];
    }

    public int size(int segment) {
        return segments[segment].size();
    }

    /** Records held, tombstones included. */
    public int size() {
        int n = 0;
        for (ConcurrentHashMap<SessionKey, SessionRecord> m : segments) {
            n += m.size();
        }
        return n;
    }

    /** A weakly consistent view of every record of a segment. */
    public Iterable<SessionRecord> records(int segment) {
        return segments[segment].values();
    }
}
