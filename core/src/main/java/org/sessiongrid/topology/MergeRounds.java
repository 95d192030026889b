package org.sessiongrid.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Partitions healed: every member pushes its copies to one primary per segment (the primary the largest partition
 * had), which keeps the better copy; then only those primaries keep data, and a rebalance restores the owner count
 * from them. Topology ids restart above every partition's.
 *
 * <p>Views keep settling for a while after a heal: a primary of the target may leave while the others push to it.
 * Installing the target then would make every member drop the records that did not get through, so the merge is
 * done again over the view as it is then (records pushed in an earlier round are pushed on from where they
 * landed), up to {@value #ROUNDS} rounds.
 *
 * <p>Confined to the coordinator thread, as every piece of the coordinator.
 */
final class MergeRounds {

    /** Merge rounds before the merged topology is installed even though some records did not get through. */
    static final int ROUNDS = 3;

    /** The coordinator's decisions are one stream of log lines, under one name, whichever piece makes them. */
    private static final Logger LOG = LoggerFactory.getLogger(TopologyCoordinator.class);

    private final CoordinatorState state;
    private final RebalanceRounds rounds;
    private final MajorityRule majority;
    private final CoordinatorThread thread;

    MergeRounds(CoordinatorState state, RebalanceRounds rounds, MajorityRule majority, CoordinatorThread thread) {
        this.state = state;
        this.rounds = rounds;
        this.majority = majority;
        this.thread = thread;
    }

    /** A merge view that names this member first. */
    void merge(List<Member> mergeView) {
        state.active(true);
        List<Member> view = mergeView;
        long conflicts = 0;
        for (int round = 1; ; round++) {
            Topology target = target(view, round);
            if (target == null) {
                return;
            }
            MergeOutcome pushed = state.ctx.pushForMerge(target.id(), target);
            // A later round meets the same conflicts again (records pushed on): count a session once.
            conflicts = Math.max(conflicts, pushed.conflicts());
            if (!pushed.complete() && round < ROUNDS) {
                view = state.ctx.viewMembers();
                LOG.warn("Merge of cluster {} (round {}): {} did not push every record (a primary left or refused "
                        + "meanwhile); merging again over the view {}", state.clusterName, round, pushed.incomplete(),
                        view);
                continue;
            }
            state.stats.mergeConflicts(conflicts);
            state.install(target);
            LOG.info("Merged cluster {}: {} members; {} sessions had conflicting copies (kept: invalidation, "
                    + "then highest version, then latest access); topology {}{}", state.clusterName,
                    target.members().size(), conflicts, target.id(), pushed.complete() ? ""
                            : "; records of " + pushed.incomplete() + " did not all get through after " + round + " rounds");
            rounds.maybeStart();
            return;
        }
    }

    /**
     * The merged topology over {@code view}: each segment's primary from the largest partition that has one; null
     * if there is nothing to merge or, under the policy, the partitions that merged are a minority of the newest
     * topology they bring (then the coordinator's topology is that newest one, which later views are judged against).
     */
    private Topology target(List<Member> view, int round) {
        Map<Member, MemberStatus> statuses = state.ctx.queryAll();
        Set<Member> live = new HashSet<>(view);
        Set<Member> joined = state.joined;
        joined.clear();
        List<Topology> partitions = new ArrayList<>();
        long maxId = 0;
        for (Map.Entry<Member, MemberStatus> e : statuses.entrySet()) {
            MemberStatus s = e.getValue();
            if (s.joined() && live.contains(e.getKey())) {
                joined.add(e.getKey());
            }
            state.noteKept(e.getKey(), s);
            Topology t = s.topology();
            if (t != null) {
                maxId = Math.max(maxId, t.id());
                if (!partitions.contains(t)) {
                    partitions.add(t);
                }
            }
        }
        if (partitions.isEmpty() || joined.isEmpty()) {
            state.adopt(null);
            return null;
        }
        Set<Member> answered = new HashSet<>(statuses.keySet());
        answered.retainAll(live);
        MajorityRule.Step step = majority.judgeMerge(partitions, live, answered);
        if (step.minority()) {
            // Each member keeps the topology it has and its guard keeps refusing; the merge with the
            // majority's side comes as another merge view.
            Topology newest = partitions.stream().max(Comparator.comparingLong(Topology::id)).orElseThrow();
            state.adopt(newest);
            LOG.warn("Cluster {}: partitions merged into {} members, {} of the {} of the newest topology {} answered:"
                    + " a minority, refusing requests until the rest of the cluster merges (partitionPolicy="
                    + "minority-refuses-writes)", state.clusterName, live.size(), step.reached(), step.of(), newest.id());
            if (step.judgeAgain()) {
                // The view lists a majority that did not all answer (a busy member): no other merge view
                // comes to judge it again.
                thread.later(MajorityRule.JUDGE_AGAIN_MILLIS, () -> {
                    List<Member> now = state.ctx.viewMembers();
                    if (state.isCoordinator(now)) {
                        merge(now);
                    }
                });
            }
            return null;
        }
        // The partition with the most live members is preferred, then the newest.
        partitions.sort((a, b) -> {
            long la = a.members().stream().filter(live::contains).count();
            long lb = b.members().stream().filter(live::contains).count();
            return la != lb ? Long.compare(lb, la) : Long.compare(b.id(), a.id());
        });
        List<Member> members = new ArrayList<>(joined);
        int segments = partitions.get(0).numSegments();
        int[][] owners = new int[segments][];
        for (int s = 0; s < segments; s++) {
            Member primary = null;
            for (Topology t : partitions) {
                Member p = t.primary(s);
                if (p != null && joined.contains(p)) {
                    primary = p;
                    break;
                }
            }
            if (primary == null) {
                primary = members.get(s % members.size());
            }
            owners[s] = new int[] {members.indexOf(primary)};
        }
        // A new id per round: members fence changes until they install this very target.
        return new Topology(maxId + round, Phase.NONE, partitions.get(0).numOwners(),
                new OwnerTable(members, segments, owners), null);
    }
}
