package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import org.sessiongrid.placement.SegmentHash;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * The records this node holds, as primary or backup, one map per segment so that a segment can be
 * handed over or dropped as a unit.
 *
 * <p>Thread-safe; each record is replaced atomically. The store itself applies no ordering rule:
 * callers decide (the primary under its key lock, backups by version).
 */
public final class RecordStore {

    private final int numSegments;
    private final ConcurrentHashMap<SessionKey, SessionRecord>[] segments;

    @SuppressWarnings("unchecked")
    public RecordStore(int numSegments) {
        this.numSegments = numSegments;
        this.segments = new ConcurrentHashMap[numSegments];
        for (int i = 0; i < numSegments; i++) {
            segments[i] = new ConcurrentHashMap<>();
        }
    }

    public int numSegments() {
        return numSegments;
    }

    public int segmentOf(SessionKey key) {
        return SegmentHash.segmentOf(key.id(), numSegments);
    }

    public SessionRecord get(SessionKey key) {
        return segments[segmentOf(key)].get(key);
    }

    public void put(SessionRecord r) {
        segments[segmentOf(r.key())].put(r.key(), r);
    }

    /** Stores {@code r} unless a record of the same or a newer version is already here. */
    public boolean putIfNewer(SessionRecord r) {
        boolean[] stored = {false};
        segments[segmentOf(r.key())].compute(r.key(), (k, old) -> {
            if (old == null || old.version() < r.version()) {
                stored[0] = true;
                return r;
            }
            return old;
        });
        return stored[0];
    }

    /**
     * Atomically replaces the record of {@code key} by what {@code fn} returns for the current one
     * (null: none); returning the current record leaves it, returning null removes it.
     */
    public SessionRecord compute(SessionKey key, BiFunction<SessionKey, SessionRecord, SessionRecord> fn) {
        return segments[segmentOf(key)].compute(key, fn);
    }

    public void remove(SessionKey key, SessionRecord expected) {
        segments[segmentOf(key)].remove(key, expected);
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

    /** Forgets a segment this node no longer owns. Returns the number of records dropped. */
    public int dropSegment(int segment) {
        int n = segments[segment].size();
        segments[segment].clear();
        return n;
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
