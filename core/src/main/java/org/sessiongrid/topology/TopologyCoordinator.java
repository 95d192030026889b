package org.sessiongrid.topology;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;

/**
 * Decides topologies while this member is the JGroups coordinator (the first member of the view).
 *
 * <p>All state is confined to one thread ({@link CoordinatorThread}): every event (view, join, leave,
 * confirmation) is a task on a single-threaded executor, so the decisions are made in one order and need no
 * locks. This class is the coordinator's entry points, each handing its event to that thread and to the one
 * piece that does that job, after JGroups' GMS (one object per role) and Infinispan's cluster topology manager:
 * <ul>
 * <li>{@link ViewChanges}: a view: taking over (continuing from the newest topology any member has) or stepping
 * down; members that crashed or left the view removed at once (backups move up, nothing moves), under the
 * partition policy ({@link MajorityRule}); segments that lost every owner restarted empty and remembered
 * ({@link LostShares}).</li>
 * <li>{@link MergeRounds}: a merge view: one primary per segment, the better copy kept, in rounds while views
 * settle.</li>
 * <li>{@link Joins}: a join, refused on a different segment or owner count; a member the tables still name
 * taken out of them first.</li>
 * <li>{@link RebalanceRounds}: the rebalance's phases, the confirmations, a stalled rebalance's topology sent
 * again, graceful leaves answered once the leaving member owns nothing.</li>
 * <li>{@link CoordinatorState}: what they share: the topology last installed, the joined members, the session
 * counts ({@link SegmentCounts}) and the memories of departed owners ({@link DepartedShares}).</li>
 * </ul>
 */
public final class TopologyCoordinator implements AutoCloseable {

    private final CoordinatorThread thread;
    private final CoordinatorState state;
    private final RebalanceRounds rounds;
    private final ViewChanges views;
    private final MergeRounds merges;
    private final Joins joins;

    /**
     * @param stallMillis how long a rebalance may wait for confirmations before the members it waits for
     *                    are logged and sent its topology again (and again after as long)
     */
    public TopologyCoordinator(CoordinatorContext ctx, String nodeName, String clusterName, int numSegments,
                               int numOwners, boolean minorityRefuses, GridStats stats, long stallMillis) {
        MajorityRule majority = new MajorityRule(minorityRefuses, ctx);
        this.thread = new CoordinatorThread(nodeName);
        this.state = new CoordinatorState(ctx, clusterName, numSegments, numOwners, stats);
        this.rounds = new RebalanceRounds(state, stallMillis);
        this.views = new ViewChanges(state, rounds, majority, thread);
        this.merges = new MergeRounds(state, rounds, majority, thread);
        this.joins = new Joins(state, rounds, thread);
        thread.every(Math.max(50, stallMillis / 4), rounds::checkStalled, "rebalance check");
    }

    /**
     * A new view: becomes active if this member is now first, else steps down. {@code merge} is true
     * for a JGroups MergeView (partitions healed).
     */
    public void onView(List<Member> view, boolean merge) {
        thread.run(() -> {
            if (merge && state.isCoordinator(view)) {
                merges.merge(view);
            } else {
                views.onView(view);
            }
        });
    }

    /** A member asks to join, naming no copies it kept (it starts, or its version names none). */
    public CompletableFuture<JoinDecision> join(Member m, int memberSegments, int memberOwners) {
        return join(m, memberSegments, memberOwners, null);
    }

    /**
     * A member asks to join.
     *
     * @param keptSegments the segments it kept copies of when it set them aside to join again, which the
     *                     rebalance gives back where that moves no more; null if it names none (this
     *                     coordinator's own memory of what it owned stands in)
     */
    public CompletableFuture<JoinDecision> join(Member m, int memberSegments, int memberOwners, BitSet keptSegments) {
        BitSet kept = keptSegments == null ? null : (BitSet) keptSegments.clone();
        CompletableFuture<JoinDecision> f = new CompletableFuture<>();
        thread.run(() -> f.complete(joins.join(m, memberSegments, memberOwners, kept)), f);
        return f;
    }

    /** A member asks to leave gracefully; completes when its segments are owned by others. */
    public CompletableFuture<Void> leave(Member m) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        thread.run(() -> rounds.leave(m, f), f);
        return f;
    }

    /**
     * A member's periodic report of the live sessions in the segments it is primary of, kept so that
     * a loss of every owner of a segment can be reported with its session count.
     */
    public void reportCounts(int[] segments, int[] sessions) {
        thread.run(() -> {
            if (state.active()) {
                state.counts.reported(segments, sessions);
            }
        });
    }

    /** Sum of the last reported session counts (for status pages and tests). */
    public long reportedSessions() throws Exception {
        CompletableFuture<Long> f = new CompletableFuture<>();
        thread.run(() -> f.complete(state.counts.total()), f);
        return f.get(10, TimeUnit.SECONDS);
    }

    /** A member holds every segment it gains under topology {@code topologyId}. */
    public CompletableFuture<Boolean> confirm(Member m, long topologyId) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        thread.run(() -> f.complete(rounds.confirm(m, topologyId)), f);
        return f;
    }

    /** The topology this coordinator last installed (for tests and status), or null. */
    public Topology lastInstalled() throws Exception {
        CompletableFuture<Topology> f = new CompletableFuture<>();
        thread.run(() -> f.complete(state.topology()), f);
        return f.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        thread.close();
    }
}
