package org.sessiongrid.topology;

import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;

/**
 * What every piece of the coordinator reads and decides over: whether this member coordinates, the topology it
 * last installed, the members that count as joined, the session counts and the memories of departed owners; and
 * the one way a decision reaches the cluster, {@link #install}. The pieces (views, joins, rounds, merges) hold
 * their own state besides, and share only this.
 *
 * <p>Confined to the coordinator thread ({@link CoordinatorThread}), as every piece: no field here is read or
 * written from another thread, so none needs a lock.
 */
final class CoordinatorState {

    final CoordinatorContext ctx;
    final String clusterName;
    final int numSegments;
    final int numOwners;
    final GridStats stats;
    final SegmentCounts counts = new SegmentCounts();
    final DepartedShares departedShares = new DepartedShares();
    final LostShares lostShares = new LostShares();
    /** Members that asked to join and did not leave, in a fixed order (the rebalance's target lists them so). */
    final Set<Member> joined = new TreeSet<>();

    private boolean active;
    private Topology topology;

    CoordinatorState(CoordinatorContext ctx, String clusterName, int numSegments, int numOwners, GridStats stats) {
        this.ctx = ctx;
        this.clusterName = clusterName;
        this.numSegments = numSegments;
        this.numOwners = numOwners;
        this.stats = stats;
    }

    /** Whether this member is the coordinator, as the last view it handled said. */
    boolean active() {
        return active;
    }

    void active(boolean active) {
        this.active = active;
    }

    /** The topology this coordinator last installed or took over, or null. */
    Topology topology() {
        return topology;
    }

    /**
     * Takes {@code t} as the topology without installing it: one found at a member (a takeover, a minority's
     * merge), or null when there is none to continue from.
     */
    void adopt(Topology t) {
        topology = t;
    }

    /** Installs {@code t} on every member of the view, and keeps the session counts their answers carry. */
    void install(Topology t) {
        topology = t;
        counts.installed(ctx.installEverywhere(t));
    }

    /** {@code t}'s owner count, or the configured one when there is no topology. */
    int numOwners(Topology t) {
        return t == null ? numOwners : t.numOwners();
    }

    boolean isCoordinator(List<Member> view) {
        return !view.isEmpty() && view.get(0).equals(ctx.self());
    }

    /** The members of the channel's view now. */
    Set<Member> live() {
        return new HashSet<>(ctx.viewMembers());
    }

    /**
     * A member that keeps copies from an absence (it may have joined through a coordinator that is gone, before
     * the rebalance that takes it back settled) is remembered as its join would have made it.
     */
    void noteKept(Member m, MemberStatus s) {
        BitSet kept = s.keptSegments();
        if (!kept.isEmpty()) {
            departedShares.reported(m, kept);
        }
    }
}
