package org.sessiongrid.topology;

/**
 * What a member reports to a new coordinator: its installed topology (or null), whether it has
 * joined the grid, and its fixed settings.
 */
public record MemberStatus(Topology topology, boolean joined, int numSegments, int numOwners) {
}
