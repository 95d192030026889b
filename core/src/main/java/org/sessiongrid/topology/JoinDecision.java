package org.sessiongrid.topology;

/**
 * The coordinator's answer to a join: accepted with the topology to install, or refused with the reason; for a
 * member that named the copies it kept, the segments of those lost with it ({@link SegmentLoss#NONE} otherwise).
 */
public record JoinDecision(boolean accepted, String reason, Topology topology, SegmentLoss lost) {

    public JoinDecision {
        lost = lost == null ? SegmentLoss.NONE : lost;
    }

    /** An answer that names no loss. */
    public JoinDecision(boolean accepted, String reason, Topology topology) {
        this(accepted, reason, topology, SegmentLoss.NONE);
    }
}
