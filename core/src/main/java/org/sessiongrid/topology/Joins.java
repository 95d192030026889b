package org.sessiongrid.topology;

import java.util.BitSet;
import java.util.List;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's request to join: refused when its segment or owner count differs from the cluster's; a member the
 * tables still name (it set its copies aside after a pause) is first taken out of them, as after its crash; what
 * it says it kept is remembered for the rebalance ({@link DepartedShares}), and the part of a loss it took with it
 * is named in the answer ({@link LostShares}). The first member's join starts the cluster.
 *
 * <p>Confined to the coordinator thread, as every piece of the coordinator.
 */
final class Joins {

    /** The coordinator's decisions are one stream of log lines, under one name, whichever piece makes them. */
    private static final Logger LOG = LoggerFactory.getLogger(TopologyCoordinator.class);

    private final CoordinatorState state;
    private final RebalanceRounds rounds;
    private final CoordinatorThread thread;

    Joins(CoordinatorState state, RebalanceRounds rounds, CoordinatorThread thread) {
        this.state = state;
        this.rounds = rounds;
        this.thread = thread;
    }

    /** @param kept the segments the member kept copies of (a copy this piece may change), or null if it names none */
    JoinDecision join(Member m, int memberSegments, int memberOwners, BitSet kept) {
        if (!state.active()) {
            return new JoinDecision(false, null, null);
        }
        Topology topology = state.topology();
        int clusterSegments = topology == null ? state.numSegments : topology.numSegments();
        int clusterOwners = topology == null ? state.numOwners : topology.numOwners();
        if (memberSegments != clusterSegments) {
            return refuse(m, "numSegments=" + memberSegments + " on " + m + " but cluster '" + state.clusterName
                    + "' uses " + clusterSegments + "; numSegments is fixed for the cluster's life: set numSegments="
                    + clusterSegments + " on every member");
        }
        if (memberOwners != clusterOwners) {
            return refuse(m, "numOwners=" + memberOwners + " on " + m + " but cluster '" + state.clusterName
                    + "' uses " + clusterOwners + ": set numOwners=" + clusterOwners + " on every member");
        }
        if (topology != null && topology.members().contains(m)) {
            // A member joins only when it serves nothing (it starts, or it set its copies aside after a
            // pause): as after its crash, the tables forget it first, then it gets its share anew.
            forget(m);
        }
        if (kept != null) {
            // After forget: the member's word of what it kept outranks what the table said it owned.
            kept.clear(clusterSegments, Math.max(clusterSegments, kept.length()));
            state.departedShares.reported(m, kept);
            if (!kept.isEmpty()) {
                LOG.info("{} joins cluster {} again having kept copies of {} segments: the rebalance gives it those back"
                        + " where that moves no more", m, state.clusterName, kept.cardinality());
            }
        }
        SegmentLoss lost = kept == null ? SegmentLoss.NONE : state.lostShares.lostWith(m, kept);
        if (!lost.isEmpty()) {
            LOG.info("{} joins cluster {} again having kept copies of {} segments that were lost with it (restarted"
                    + " empty, the last in topology {}): it pushes them back where their sessions are still unknown", m,
                    state.clusterName, lost.segments().cardinality(), lost.restartedIn());
        }
        state.joined.add(m);
        if (state.topology() == null) {
            state.install(new Topology(1, Phase.NONE, state.numOwners,
                    Placement.create(List.of(m), state.numSegments, state.numOwners), null));
            LOG.info("Cluster {} started by {} (topology 1, {} segments, {} owners each)", state.clusterName, m,
                    state.numSegments, state.numOwners);
        }
        Topology now = state.topology();
        // Rebalance after answering, so the joiner installs a topology before the rebalance's.
        thread.run(rounds::maybeStart);
        return new JoinDecision(true, null, now, lost);
    }

    /**
     * Takes a member that joins again without data out of the tables, as after its crash, except from the
     * segments it alone owns: nobody else holds them, and it restores them from the copies it set aside (the
     * newest there are: every write acknowledged on them reached it), so they stay its instead of restarting empty.
     */
    private void forget(Member m) {
        Topology topology = state.topology();
        state.departedShares.leaving(topology.current(), List.of(m));
        OwnerTable table = Placement.withoutSharedCopiesOf(topology.current(), m);
        int kept = table.ownedCount(m);
        state.install(new Topology(topology.id() + 1, Phase.NONE, state.numOwners(topology), table, null));
        if (kept > 0) {
            LOG.info("{} joins cluster {} again without data: removed from the tables first, but for the {} segments it"
                    + " is the only owner of, which it restores from the copies it set aside (topology {})", m,
                    state.clusterName, kept, state.topology().id());
        } else {
            LOG.info("{} joins cluster {} again without data: removed from the tables first (topology {})", m,
                    state.clusterName, state.topology().id());
        }
    }

    private JoinDecision refuse(Member m, String reason) {
        LOG.warn("Refused join of {}: {}", m, reason);
        return new JoinDecision(false, reason, null);
    }
}
