package org.sessiongrid.topology;

import java.util.BitSet;

/**
 * What a member reports to a new coordinator: its installed topology (or null), whether it has
 * joined the grid, its fixed settings, and the segments it keeps copies of from an absence (empty when none,
 * or when its version does not say).
 */
public record MemberStatus(Topology topology, boolean joined, int numSegments, int numOwners, BitSet keptSegments) {

    public MemberStatus {
        keptSegments = (BitSet) keptSegments.clone();
    }

    /** A member that keeps no copies from an absence, or does not say. */
    public MemberStatus(Topology topology, boolean joined, int numSegments, int numOwners) {
        this(topology, joined, numSegments, numOwners, new BitSet());
    }

    @Override
    public BitSet keptSegments() {
        return (BitSet) keptSegments.clone();
    }
}
