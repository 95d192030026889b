package org.sessiongrid.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a view (not a merge) changes: this member takes over as coordinator (continuing from the newest topology
 * any member has, cancelling an unfinished rebalance, which is safe because writes went to both tables) or steps
 * down; members that crashed or left the view are removed at once, by a topology whose tables simply omit them
 * (backups move up, nothing moves, any rebalance is cancelled), unless the partition policy finds this side a
 * minority ({@link MajorityRule}). Segments that lost every owner are reassigned empty, the loss is logged and
 * counted, and remembered for the departed owners ({@link LostShares}: one that joins again with copies of them is
 * told to push them back). A rebalance then restores the owner count.
 *
 * <p>Confined to the coordinator thread, as every piece of the coordinator.
 */
final class ViewChanges {

    /** The coordinator's decisions are one stream of log lines, under one name, whichever piece makes them. */
    private static final Logger LOG = LoggerFactory.getLogger(TopologyCoordinator.class);

    private final CoordinatorState state;
    private final RebalanceRounds rounds;
    private final MajorityRule majority;
    private final CoordinatorThread thread;

    /** The last minority verdict logged at WARN: a side judged again and again logs it once. */
    private String lastMinorityVerdict;

    ViewChanges(CoordinatorState state, RebalanceRounds rounds, MajorityRule majority, CoordinatorThread thread) {
        this.state = state;
        this.rounds = rounds;
        this.majority = majority;
        this.thread = thread;
    }

    /** A view that is no merge, or a merge this member does not coordinate. */
    void onView(List<Member> view) {
        if (!state.isCoordinator(view)) {
            stepDown();
            return;
        }
        if (!state.active()) {
            recover();
            state.active(true);
        }
        Set<Member> live = new HashSet<>(view);
        state.joined.retainAll(live);
        Topology topology = state.topology();
        if (topology == null) {
            return;
        }
        List<Member> departed = topology.members().stream().filter(m -> !live.contains(m)).toList();
        if (departed.isEmpty()) {
            rounds.maybeStart();
            return;
        }
        MajorityRule.Step step = majority.judge(topology, live);
        if (step.minority()) {
            String verdict = step.reached() + " of " + step.of() + " members reachable (" + departed + " missing from the view)";
            if (!verdict.equals(lastMinorityVerdict)) {
                lastMinorityVerdict = verdict;
                LOG.warn("Cluster {}: only {}: this side is a minority and refuses requests until the partition heals"
                        + " (partitionPolicy=minority-refuses-writes)", state.clusterName, verdict);
            } else {
                LOG.debug("Cluster {}: still only {}", state.clusterName, verdict);
            }
            if (topology.isRebalancing()) {
                // Its pulls may wait on sources across the split and its confirmations could never all
                // come: a minority sits still instead. Writes went to both tables, so the current owners
                // have everything.
                state.install(new Topology(topology.id() + 1, Phase.NONE, state.numOwners(topology), topology.current(),
                        null));
                LOG.info("Cancelled the unfinished rebalance of cluster {} on the minority side (topology {})",
                        state.clusterName, state.topology().id());
            }
            if (step.judgeAgain()) {
                // The view as it is then, asked again.
                thread.later(MajorityRule.JUDGE_AGAIN_MILLIS, () -> onView(state.ctx.viewMembers()));
            }
            return;
        }
        lastMinorityVerdict = null;
        if (!step.removed().isEmpty()) {
            removeMembers(step.removed(), live);
        }
        rounds.maybeStart();
    }

    private void stepDown() {
        if (state.active()) {
            LOG.info("No longer the coordinator of cluster {}", state.clusterName);
        }
        state.active(false);
        state.adopt(null);
        state.joined.clear();
        rounds.stepDown();
    }

    /** Continues from the newest topology any member has, after this member became coordinator. */
    private void recover() {
        Map<Member, MemberStatus> statuses = state.ctx.queryAll();
        Topology newest = null;
        for (Map.Entry<Member, MemberStatus> e : statuses.entrySet()) {
            MemberStatus s = e.getValue();
            if (s.joined()) {
                state.joined.add(e.getKey());
            }
            state.noteKept(e.getKey(), s);
            if (s.topology() != null && (newest == null || s.topology().id() > newest.id())) {
                newest = s.topology();
            }
        }
        state.adopt(newest);
        if (newest != null) {
            LOG.info("Became coordinator of cluster {}: continuing from topology {} ({}), {} joined members",
                    state.clusterName, newest.id(), newest.phase(), state.joined.size());
            if (newest.isRebalancing()) {
                // Writes of an unfinished rebalance went to both tables, so the current owners have
                // everything: going back to the current table loses nothing.
                state.install(new Topology(newest.id() + 1, Phase.NONE, state.numOwners(newest), newest.current(), null));
                LOG.info("Cancelled the unfinished rebalance of topology {}; a new one follows", newest.id());
            }
        } else {
            LOG.info("Became coordinator of cluster {} (no topology yet)", state.clusterName);
        }
    }

    /**
     * Removes {@code departed}, keeping the members of {@code view}: the view the minority check judged, never
     * the channel's newer one (views reach this thread late; each is judged and applied in turn).
     */
    private void removeMembers(List<Member> departed, Set<Member> view) {
        Topology topology = state.topology();
        Set<Member> live = new TreeSet<>(view);
        List<Member> liveOwners = topology.current().members().stream().filter(live::contains).toList();
        if (liveOwners.isEmpty()) {
            liveOwners = state.joined.stream().filter(live::contains).toList();
        }
        if (liveOwners.isEmpty()) {
            LOG.error("Every owner of cluster {} is gone ({}); all sessions are lost", state.clusterName, departed);
            state.adopt(null);
            return;
        }
        OwnerTable before = topology.current();
        state.departedShares.leaving(before, departed);
        Placement.Removal r = Placement.withoutMembers(before, liveOwners);
        // Count before installing: the new primaries of lost segments will report them empty.
        long lostSessions = state.counts.sessionsIn(r.lostSegments());
        boolean wasRebalancing = topology.isRebalancing();
        if (r.lostSegments().length > 0) {
            // Counted before the topology that restarts them empty is installed: whoever sees that
            // topology also sees the loss in the metrics.
            state.stats.lostSegments(r.lostSegments().length, lostSessions);
        }
        state.install(new Topology(topology.id() + 1, Phase.NONE, state.numOwners(topology), r.table(), null));
        long restartedIn = state.topology().id();
        state.lostShares.leaving(before, departed, r.lostSegments(), restartedIn);
        LOG.info("Members left cluster {}: {}; backups promoted at once (topology {}){}", state.clusterName, departed,
                restartedIn, wasRebalancing ? ", unfinished rebalance cancelled" : "");
        if (r.lostSegments().length > 0) {
            LOG.error("Lost {} segments of cluster {} holding about {} sessions (as last reported): every owner left or became unreachable at "
                    + "once ({}); those sessions are gone and the segments restart empty", r.lostSegments().length,
                    state.clusterName, lostSessions, departed);
        }
    }
}
