package org.sessiongrid.topology;

import java.util.BitSet;

/**
 * Segments lost with a member: every owner of each departed with it, and each restarted empty, the last of them in
 * topology {@code restartedIn}. What the coordinator answers a rejoining member that kept copies of them.
 *
 * @param segments    the segments (a copy is kept and handed out)
 * @param restartedIn the topology that restarted the last of them empty (0 when none)
 */
public record SegmentLoss(BitSet segments, long restartedIn) {

    /** Nothing lost. */
    public static final SegmentLoss NONE = new SegmentLoss(new BitSet(), 0);

    public SegmentLoss {
        segments = (BitSet) segments.clone();
    }

    @Override
    public BitSet segments() {
        return (BitSet) segments.clone();
    }

    public boolean isEmpty() {
        return segments.isEmpty();
    }

    /** This loss and {@code other}'s segments, dated by the later restart. */
    SegmentLoss and(SegmentLoss other) {
        BitSet both = segments();
        both.or(other.segments);
        return new SegmentLoss(both, Math.max(restartedIn, other.restartedIn));
    }

    /** The part of this loss within {@code of}. */
    SegmentLoss within(BitSet of) {
        BitSet part = segments();
        part.and(of);
        return part.isEmpty() ? NONE : new SegmentLoss(part, restartedIn);
    }
}
