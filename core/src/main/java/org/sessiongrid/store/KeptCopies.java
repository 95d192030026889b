package org.sessiongrid.store;

import java.util.BitSet;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * The copies a member held when it had to rejoin after an absence (a pause or a cut that got it excluded): set
 * aside, never served, only named to a source when this member pulls their segment again; the source's answer
 * then says which of them are still current, and only those return to the {@link RecordStore}. One sorted map
 * per segment, so that a pull can name them in key order.
 *
 * <p>Thread-safe: each segment's map is immutable once set and replaced or released as a whole.
 */
public final class KeptCopies {

    private static final NavigableMap<SessionKey, SessionRecord> NONE = Collections.emptyNavigableMap();

    private final AtomicReferenceArray<NavigableMap<SessionKey, SessionRecord>> segments;
    private volatile long awaySinceNanos;
    /** The segments this member read from when it set its copies aside (it held all of their data); never modified. */
    private volatile BitSet held = new BitSet();

    public KeptCopies(int numSegments) {
        this.segments = new AtomicReferenceArray<>(numSegments);
    }

    /**
     * Moves every record of {@code store} here, segment by segment, keeping per key the higher version of the one
     * moved and one still kept from an earlier absence. The caller makes sure that no change of {@code store} is
     * in progress (a change landing between the copy and the drop would be lost).
     *
     * @param awaySinceNanos when the absence began ({@link System#nanoTime()}), for the catch-up's report
     * @param held           the segments this member read from under the topology it forgets (see
     *                       {@link #heldWhenSetAside})
     * @return the number of records moved
     */
    int setAside(RecordStore store, long awaySinceNanos, BitSet held) {
        int moved = 0;
        for (int s = 0; s < segments.length(); s++) {
            if (store.size(s) == 0) {
                continue;
            }
            TreeMap<SessionKey, SessionRecord> copies = new TreeMap<>(segment(s));
            for (SessionRecord r : store.records(s)) {
                copies.merge(r.key(), r, (a, b) -> a.version() >= b.version() ? a : b);
            }
            moved += store.dropSegment(s);
            segments.set(s, Collections.unmodifiableNavigableMap(copies));
        }
        this.awaySinceNanos = awaySinceNanos;
        this.held = (BitSet) held.clone();
        return moved;
    }

    /**
     * True if this member was an owner that reads of {@code segment} went to (so it held every acknowledged
     * write of it) under the topology it forgot when it last set its copies aside.
     */
    public boolean heldWhenSetAside(int segment) {
        return held.get(segment);
    }

    /**
     * Puts the copies kept of {@code segment} back into {@code store} ({@link RecordStore#putIfNewer}) and
     * forgets them: for a segment whose kept copies are the newest there are (the caller knows why).
     *
     * @return the number of copies put back
     */
    public int restore(int segment, RecordStore store) {
        int n = 0;
        for (SessionRecord r : segment(segment).values()) {
            if (store.putIfNewer(r)) {
                n++;
            }
        }
        release(segment);
        return n;
    }

    /** The copies kept of {@code segment} in key order; empty when none. */
    public NavigableMap<SessionKey, SessionRecord> segment(int segment) {
        NavigableMap<SessionKey, SessionRecord> m = segments.get(segment);
        return m == null ? NONE : m;
    }

    /** Forgets the copies of {@code segment} (its pull is over: whatever was current is in the store now). */
    public void release(int segment) {
        segments.set(segment, null);
    }

    /** Forgets every kept copy. */
    public void clear() {
        for (int s = 0; s < segments.length(); s++) {
            segments.set(s, null);
        }
    }

    /**
     * The segments of which copies are kept (a new set). Not {@link #heldWhenSetAside}: a member that was alone in
     * its view before it set its copies aside read from every segment, most of which it has nothing of.
     */
    public BitSet segments() {
        BitSet out = new BitSet(segments.length());
        for (int s = 0; s < segments.length(); s++) {
            if (!segment(s).isEmpty()) {
                out.set(s);
            }
        }
        return out;
    }

    /** Copies kept, over all segments. */
    public int size() {
        int n = 0;
        for (int s = 0; s < segments.length(); s++) {
            n += segment(s).size();
        }
        return n;
    }

    /** When the absence that made this member set its copies aside began ({@link System#nanoTime()}). */
    public long awaySinceNanos() {
        return awaySinceNanos;
    }
}
