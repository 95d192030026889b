package org.sessiongrid.topology;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.threads.MemberThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides topologies while this member is the JGroups coordinator (the first member of the view).
 *
 * <p>All state is confined to one thread: every event (view, join, leave, confirmation) is a task
 * on a single-threaded executor, so the decisions are made in one order and need no locks.
 *
 * <p>What it does, after Infinispan's cluster topology manager:
 * <ul>
 * <li><b>Crash or leave from the view:</b> at once a topology whose tables simply omit the departed
 * members (backups move up, nothing moves), cancelling any rebalance; segments that lost every
 * owner are reassigned empty and the loss is logged, and remembered for the departed owners ({@link LostShares}:
 * one that joins again with copies of them is told to push them back). Then a rebalance restores the owner count.</li>
 * <li><b>Rebalance:</b> {@code READ_OLD_WRITE_ALL} with the target as pending table; every member
 * pulls what it gains and confirms; then {@code READ_NEW_WRITE_ALL}; then the target becomes the
 * current table ({@code NONE}) and old owners drop what they no longer own. One rebalance at a time;
 * whatever changed meanwhile is handled by the next.</li>
 * <li><b>Graceful leave:</b> the member stops counting as joined, a rebalance moves its segments
 * away while it still serves them, and only then is its leave answered.</li>
 * <li><b>New coordinator:</b> asks every member for its topology, continues from the newest one
 * (cancelling an unfinished rebalance, which is safe because writes went to both tables), and
 * starts a fresh rebalance.</li>
 * <li><b>Stalled rebalance:</b> a rebalance still waiting for confirmations after {@code stallMillis}
 * is logged with the members it waits for, and those members are sent the topology again: a member
 * whose view did not show this coordinator when it was sent (views settle at different times after a
 * heal) refused it, and would otherwise only learn it at its next view change.</li>
 * </ul>
 */
public final class TopologyCoordinator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopologyCoordinator.class);

    private final CoordinatorContext ctx;
    private final int numSegments;
    private final int numOwners;
    private final String clusterName;
    private final ScheduledExecutorService thread;
    private final GridStats stats;
    private final MajorityRule majority;
    private final long stallMillis;

    /** Answers callers wait on and the coordinator thread has not given yet; failed on {@link #close}. */
    private final Set<CompletableFuture<?>> unanswered = ConcurrentHashMap.newKeySet();

    // ---- confined to the coordinator thread ----
    private boolean active;
    private Topology topology;
    private final Set<Member> joined = new TreeSet<>();
    private final Set<Member> confirmed = new HashSet<>();
    private final Map<Member, CompletableFuture<Void>> leaving = new HashMap<>();
    /** The last minority verdict logged at WARN: a side judged again and again logs it once. */
    private String lastMinorityVerdict;
    private long rebalanceStartNanos;
    /** Live sessions per segment as last reported by each segment's primary; -1 = unknown. */
    private long[] sessionsPerSegment;
    private final DepartedShares departedShares = new DepartedShares();
    private final LostShares lostShares = new LostShares();

    /**
     * @param stallMillis how long a rebalance may wait for confirmations before the members it waits for
     *                    are logged and sent its topology again (and again after as long)
     */
    public TopologyCoordinator(CoordinatorContext ctx, String nodeName, String clusterName, int numSegments,
                               int numOwners, boolean minorityRefuses, GridStats stats, long stallMillis) {
        this.ctx = ctx;
        this.stallMillis = stallMillis;
        this.majority = new MajorityRule(minorityRefuses, ctx);
        this.stats = stats;
        this.clusterName = clusterName;
        this.numSegments = numSegments;
        this.numOwners = numOwners;
        this.thread = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(nodeName, "coordinator"));
        long check = Math.max(50, stallMillis / 4);
        thread.scheduleWithFixedDelay(() -> {
            try {
                checkStalledRebalance();
            } catch (RuntimeException e) {
                LOG.error("Coordinator's rebalance check failed", e);
            }
        }, check, check, TimeUnit.MILLISECONDS);
    }

    /** A task whose outcome nobody waits for (a view, a count report, a rebalance to try). */
    private void run(Runnable task) {
        run(task, null);
    }

    /**
     * Runs {@code task} on the coordinator thread. {@code answer}, when given, is what a caller waits on:
     * it fails with the task's exception, or when the coordinator is closed before the task ran, so
     * that no join, leave or confirmation waits for an answer that cannot come.
     */
    private void run(Runnable task, CompletableFuture<?> answer) {
        if (answer != null) {
            unanswered.add(answer);
            answer.whenComplete((r, e) -> unanswered.remove(answer));
        }
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    if (answer != null) {
                        answer.completeExceptionally(e);
                    }
                    if (e instanceof Error error) {
                        throw error;
                    }
                    LOG.error("Coordinator task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("Coordinator closed; event ignored");
            if (answer != null) {
                answer.completeExceptionally(closed());
            }
        }
    }

    private static IllegalStateException closed() {
        return new IllegalStateException("the coordinator of this member is closed");
    }

    /**
     * A new view: becomes active if this member is now first, else steps down. {@code merge} is true
     * for a JGroups MergeView (partitions healed).
     */
    public void onView(List<Member> view, boolean merge) {
        run(() -> {
            if (merge && isCoordinator(view)) {
                handleMerge(view);
            } else {
                handleView(view);
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
        run(() -> f.complete(handleJoin(m, memberSegments, memberOwners, kept)), f);
        return f;
    }

    /** A member asks to leave gracefully; completes when its segments are owned by others. */
    public CompletableFuture<Void> leave(Member m) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        run(() -> handleLeave(m, f), f);
        return f;
    }

    /**
     * A member's periodic report of the live sessions in the segments it is primary of, kept so that
     * a loss of every owner of a segment can be reported with its session count.
     */
    public void reportCounts(int[] segments, int[] sessions) {
        run(() -> {
            if (!active || sessionsPerSegment == null) {
                return;
            }
            for (int i = 0; i < segments.length; i++) {
                if (segments[i] >= 0 && segments[i] < sessionsPerSegment.length) {
                    sessionsPerSegment[segments[i]] = sessions[i];
                }
            }
        });
    }

    /** Sum of the last reported session counts (for status pages and tests). */
    public long reportedSessions() throws Exception {
        CompletableFuture<Long> f = new CompletableFuture<>();
        run(() -> {
            long n = 0;
            if (sessionsPerSegment != null) {
                for (long c : sessionsPerSegment) {
                    n += Math.max(0, c);
                }
            }
            f.complete(n);
        }, f);
        return f.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** A member holds every segment it gains under topology {@code topologyId}. */
    public CompletableFuture<Boolean> confirm(Member m, long topologyId) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        run(() -> f.complete(handleConfirm(m, topologyId)), f);
        return f;
    }

    private boolean isCoordinator(List<Member> view) {
        return !view.isEmpty() && view.get(0).equals(ctx.self());
    }

    private void handleView(List<Member> view) {
        if (!isCoordinator(view)) {
            if (active) {
                LOG.info("No longer the coordinator of cluster {}", clusterName);
            }
            active = false;
            topology = null;
            joined.clear();
            confirmed.clear();
            leaving.values().forEach(f -> f.completeExceptionally(new IllegalStateException("coordinator changed")));
            leaving.clear();
            return;
        }
        if (!active) {
            recover();
            active = true;
        }
        Set<Member> live = new HashSet<>(view);
        joined.retainAll(live);
        if (topology == null) {
            return;
        }
        List<Member> departed = topology.members().stream().filter(m -> !live.contains(m)).toList();
        if (departed.isEmpty()) {
            maybeRebalance();
            return;
        }
        MajorityRule.Step step = majority.judge(topology, live);
        if (step.minority()) {
            String verdict = step.reached() + " of " + step.of() + " members reachable (" + departed + " missing from the view)";
            if (!verdict.equals(lastMinorityVerdict)) {
                lastMinorityVerdict = verdict;
                LOG.warn("Cluster {}: only {}: this side is a minority and refuses requests until the partition heals"
                        + " (partitionPolicy=minority-refuses-writes)", clusterName, verdict);
            } else {
                LOG.debug("Cluster {}: still only {}", clusterName, verdict);
            }
            if (topology.isRebalancing()) {
                // Its pulls may wait on sources across the split and its confirmations could never all
                // come: a minority sits still instead. Writes went to both tables, so the current owners
                // have everything.
                install(new Topology(topology.id() + 1, Phase.NONE, numOwners(topology), topology.current(), null));
                LOG.info("Cancelled the unfinished rebalance of cluster {} on the minority side (topology {})",
                        clusterName, topology.id());
            }
            if (step.judgeAgain() && !thread.isShutdown()) {
                // The view as it is then, asked again (a close meanwhile fails this task, logged and ignored).
                thread.schedule(() -> run(() -> handleView(ctx.viewMembers())), MajorityRule.JUDGE_AGAIN_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
            return;
        }
        lastMinorityVerdict = null;
        if (!step.removed().isEmpty()) {
            removeMembers(step.removed(), live);
        }
        maybeRebalance();
    }

    /** Merge rounds before the merged topology is installed even though some records did not get through. */
    static final int MERGE_ROUNDS = 3;

    /**
     * Partitions healed: every member pushes its copies to one primary per segment (the primary the
     * largest partition had), which keeps the better copy; then only those primaries keep data, and a
     * rebalance restores the owner count from them. Topology ids restart above every partition's.
     *
     * <p>Views keep settling for a while after a heal: a primary of the target may leave while the
     * others push to it. Installing the target then would make every member drop the records that did
     * not get through, so the merge is done again over the view as it is then (records pushed in an
     * earlier round are pushed on from where they landed), up to {@value #MERGE_ROUNDS} rounds.
     */
    private void handleMerge(List<Member> mergeView) {
        active = true;
        List<Member> view = mergeView;
        long conflicts = 0;
        for (int round = 1; ; round++) {
            Topology target = mergeTarget(view, round);
            if (target == null) {
                return;
            }
            MergeOutcome pushed = ctx.pushForMerge(target.id(), target);
            // A later round meets the same conflicts again (records pushed on): count a session once.
            conflicts = Math.max(conflicts, pushed.conflicts());
            if (!pushed.complete() && round < MERGE_ROUNDS) {
                view = ctx.viewMembers();
                LOG.warn("Merge of cluster {} (round {}): {} did not push every record (a primary left or refused "
                        + "meanwhile); merging again over the view {}", clusterName, round, pushed.incomplete(), view);
                continue;
            }
            stats.mergeConflicts(conflicts);
            install(target);
            LOG.info("Merged cluster {}: {} members; {} sessions had conflicting copies (kept: invalidation, "
                    + "then highest version, then latest access); topology {}{}", clusterName,
                    target.members().size(), conflicts, target.id(), pushed.complete() ? ""
                            : "; records of " + pushed.incomplete() + " did not all get through after " + round + " rounds");
            maybeRebalance();
            return;
        }
    }

    /**
     * The merged topology over {@code view}: each segment's primary from the largest partition that has one; null
     * if there is nothing to merge or, under the policy, the partitions that merged are a minority of the newest
     * topology they bring (then {@link #topology} is that newest one, which later views are judged against).
     */
    private Topology mergeTarget(List<Member> view, int round) {
        Map<Member, MemberStatus> statuses = ctx.queryAll();
        Set<Member> live = new HashSet<>(view);
        joined.clear();
        List<Topology> partitions = new ArrayList<>();
        long maxId = 0;
        for (Map.Entry<Member, MemberStatus> e : statuses.entrySet()) {
            MemberStatus s = e.getValue();
            if (s.joined() && live.contains(e.getKey())) {
                joined.add(e.getKey());
            }
            noteKept(e.getKey(), s);
            Topology t = s.topology();
            if (t != null) {
                maxId = Math.max(maxId, t.id());
                if (!partitions.contains(t)) {
                    partitions.add(t);
                }
            }
        }
        if (partitions.isEmpty() || joined.isEmpty()) {
            topology = null;
            return null;
        }
        Set<Member> answered = new HashSet<>(statuses.keySet());
        answered.retainAll(live);
        MajorityRule.Step step = majority.judgeMerge(partitions, live, answered);
        if (step.minority()) {
            // Each member keeps the topology it has and its guard keeps refusing; the merge with the
            // majority's side comes as another merge view.
            topology = partitions.stream().max(java.util.Comparator.comparingLong(Topology::id)).orElseThrow();
            LOG.warn("Cluster {}: partitions merged into {} members, {} of the {} of the newest topology {} answered:"
                    + " a minority, refusing requests until the rest of the cluster merges (partitionPolicy="
                    + "minority-refuses-writes)", clusterName, live.size(), step.reached(), step.of(), topology.id());
            if (step.judgeAgain() && !thread.isShutdown()) {
                // The view lists a majority that did not all answer (a busy member): no other merge view
                // comes to judge it again.
                thread.schedule(() -> run(() -> {
                    List<Member> now = ctx.viewMembers();
                    if (isCoordinator(now)) {
                        handleMerge(now);
                    }
                }), MajorityRule.JUDGE_AGAIN_MILLIS, TimeUnit.MILLISECONDS);
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

    /** Continues from the newest topology any member has, after this member became coordinator. */
    private void recover() {
        Map<Member, MemberStatus> statuses = ctx.queryAll();
        Topology newest = null;
        for (Map.Entry<Member, MemberStatus> e : statuses.entrySet()) {
            MemberStatus s = e.getValue();
            if (s.joined()) {
                joined.add(e.getKey());
            }
            noteKept(e.getKey(), s);
            if (s.topology() != null && (newest == null || s.topology().id() > newest.id())) {
                newest = s.topology();
            }
        }
        topology = newest;
        if (newest != null) {
            LOG.info("Became coordinator of cluster {}: continuing from topology {} ({}), {} joined members",
                    clusterName, newest.id(), newest.phase(), joined.size());
            if (newest.isRebalancing()) {
                // Writes of an unfinished rebalance went to both tables, so the current owners have
                // everything: going back to the current table loses nothing.
                install(new Topology(newest.id() + 1, Phase.NONE, numOwners(newest), newest.current(), null));
                LOG.info("Cancelled the unfinished rebalance of topology {}; a new one follows", newest.id());
            }
        } else {
            LOG.info("Became coordinator of cluster {} (no topology yet)", clusterName);
        }
    }

    /**
     * A member that keeps copies from an absence (it may have joined through a coordinator that is gone, before
     * the rebalance that takes it back settled) is remembered as its join would have made it.
     */
    private void noteKept(Member m, MemberStatus s) {
        BitSet kept = s.keptSegments();
        if (!kept.isEmpty()) {
            departedShares.reported(m, kept);
        }
    }

    private int numOwners(Topology t) {
        return t == null ? numOwners : t.numOwners();
    }

    /**
     * Removes {@code departed}, keeping the members of {@code view}: the view the minority check judged, never
     * the channel's newer one (views reach this thread late; each is judged and applied in turn).
     */
    private void removeMembers(List<Member> departed, Set<Member> view) {
        Set<Member> live = new TreeSet<>(view);
        List<Member> liveOwners = topology.current().members().stream().filter(live::contains).toList();
        if (liveOwners.isEmpty()) {
            liveOwners = joined.stream().filter(live::contains).toList();
        }
        if (liveOwners.isEmpty()) {
            LOG.error("Every owner of cluster {} is gone ({}); all sessions are lost", clusterName, departed);
            topology = null;
            return;
        }
        OwnerTable before = topology.current();
        departedShares.leaving(before, departed);
        Placement.Removal r = Placement.withoutMembers(before, liveOwners);
        // Count before installing: the new primaries of lost segments will report them empty.
        long lostSessions = 0;
        for (int s : r.lostSegments()) {
            lostSessions += sessionsPerSegment == null || sessionsPerSegment[s] < 0 ? 0 : sessionsPerSegment[s];
        }
        boolean wasRebalancing = topology.isRebalancing();
        if (r.lostSegments().length > 0) {
            // Counted before the topology that restarts them empty is installed: whoever sees that
            // topology also sees the loss in the metrics.
            stats.lostSegments(r.lostSegments().length, lostSessions);
        }
        install(new Topology(topology.id() + 1, Phase.NONE, numOwners(topology), r.table(), null));
        lostShares.leaving(before, departed, r.lostSegments(), topology.id());
        LOG.info("Members left cluster {}: {}; backups promoted at once (topology {}){}", clusterName, departed,
                topology.id(), wasRebalancing ? ", unfinished rebalance cancelled" : "");
        if (r.lostSegments().length > 0) {
            LOG.error("Lost {} segments of cluster {} holding about {} sessions (as last reported): every owner left or became unreachable at "
                    + "once ({}); those sessions are gone and the segments restart empty", r.lostSegments().length,
                    clusterName, lostSessions, departed);
        }
    }

    private JoinDecision handleJoin(Member m, int memberSegments, int memberOwners, BitSet kept) {
        if (!active) {
            return new JoinDecision(false, null, null);
        }
        int clusterSegments = topology == null ? numSegments : topology.numSegments();
        int clusterOwners = topology == null ? numOwners : topology.numOwners();
        if (memberSegments != clusterSegments) {
            return refuse(m, "numSegments=" + memberSegments + " on " + m + " but cluster '" + clusterName + "' uses "
                    + clusterSegments + "; numSegments is fixed for the cluster's life: set numSegments="
                    + clusterSegments + " on every member");
        }
        if (memberOwners != clusterOwners) {
            return refuse(m, "numOwners=" + memberOwners + " on " + m + " but cluster '" + clusterName + "' uses "
                    + clusterOwners + ": set numOwners=" + clusterOwners + " on every member");
        }
        if (topology != null && topology.members().contains(m)) {
            // A member joins only when it serves nothing (it starts, or it set its copies aside after a
            // pause): as after its crash, the tables forget it first, then it gets its share anew.
            forget(m);
        }
        if (kept != null) {
            // After forget: the member's word of what it kept outranks what the table said it owned.
            kept.clear(clusterSegments, Math.max(clusterSegments, kept.length()));
            departedShares.reported(m, kept);
            if (!kept.isEmpty()) {
                LOG.info("{} joins cluster {} again having kept copies of {} segments: the rebalance gives it those back"
                        + " where that moves no more", m, clusterName, kept.cardinality());
            }
        }
        SegmentLoss lost = kept == null ? SegmentLoss.NONE : lostShares.lostWith(m, kept);
        if (!lost.isEmpty()) {
            LOG.info("{} joins cluster {} again having kept copies of {} segments that were lost with it (restarted"
                    + " empty, the last in topology {}): it pushes them back where their sessions are still unknown", m,
                    clusterName, lost.segments().cardinality(), lost.restartedIn());
        }
        joined.add(m);
        if (topology == null) {
            install(new Topology(1, Phase.NONE, numOwners, Placement.create(List.of(m), numSegments, numOwners), null));
            LOG.info("Cluster {} started by {} (topology 1, {} segments, {} owners each)", clusterName, m,
                    numSegments, numOwners);
        }
        Topology now = topology;
        // Rebalance after answering, so the joiner installs a topology before the rebalance's.
        run(this::maybeRebalance);
        return new JoinDecision(true, null, now, lost);
    }

    /**
     * Takes a member that joins again without data out of the tables, as after its crash, except from the
     * segments it alone owns: nobody else holds them, and it restores them from the copies it set aside (the
     * newest there are: every write acknowledged on them reached it), so they stay its instead of restarting empty.
     */
    private void forget(Member m) {
        departedShares.leaving(topology.current(), List.of(m));
        OwnerTable table = Placement.withoutSharedCopiesOf(topology.current(), m);
        int kept = table.ownedCount(m);
        install(new Topology(topology.id() + 1, Phase.NONE, numOwners(topology), table, null));
        if (kept > 0) {
            LOG.info("{} joins cluster {} again without data: removed from the tables first, but for the {} segments it"
                    + " is the only owner of, which it restores from the copies it set aside (topology {})", m,
                    clusterName, kept, topology.id());
        } else {
            LOG.info("{} joins cluster {} again without data: removed from the tables first (topology {})", m,
                    clusterName, topology.id());
        }
    }

    private JoinDecision refuse(Member m, String reason) {
        LOG.warn("Refused join of {}: {}", m, reason);
        return new JoinDecision(false, reason, null);
    }

    private void handleLeave(Member m, CompletableFuture<Void> done) {
        if (!active) {
            done.completeExceptionally(new IllegalStateException("not the coordinator"));
            return;
        }
        joined.remove(m);
        leaving.put(m, done);
        LOG.info("{} leaves cluster {} gracefully: handing its segments over first", m, clusterName);
        maybeRebalance();
        answerLeaves();
    }

    /**
     * Counts a member's confirmation. True when this coordinator is the one running that rebalance (or
     * has moved past it, so the member need not confirm again); false when it does not know the
     * topology: a member whose view lags sent it to the wrong coordinator and must send it again.
     */
    private boolean handleConfirm(Member m, long topologyId) {
        if (!active || topology == null || topology.id() < topologyId) {
            return false;
        }
        if (topology.id() != topologyId || topology.phase() != Phase.READ_OLD_WRITE_ALL) {
            return true;
        }
        confirmed.add(m);
        Set<Member> live = new HashSet<>(ctx.viewMembers());
        for (Member needed : topology.members()) {
            if (live.contains(needed) && !confirmed.contains(needed)) {
                return true;
            }
        }
        Topology readNew = new Topology(topology.id() + 1, Phase.READ_NEW_WRITE_ALL, topology.numOwners(),
                topology.current(), topology.pending());
        install(readNew);
        install(new Topology(readNew.id() + 1, Phase.NONE, readNew.numOwners(), readNew.pending(), null));
        LOG.info("Rebalance of cluster {} finished: topology {} in {} ms", clusterName, topology.id(),
                (System.nanoTime() - rebalanceStartNanos) / 1_000_000);
        stats.rebalanceCompleted();
        answerLeaves();
        maybeRebalance();
        return true;
    }

    /** When the running rebalance started or was last found waiting (nanoTime). */
    private long lastStallCheckNanos;

    private void checkStalledRebalance() {
        if (!active || topology == null || topology.phase() != Phase.READ_OLD_WRITE_ALL) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastStallCheckNanos < TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
            return;
        }
        lastStallCheckNanos = now;
        Set<Member> live = new HashSet<>(ctx.viewMembers());
        List<Member> waitingFor = topology.members().stream().filter(m -> live.contains(m) && !confirmed.contains(m))
                .toList();
        if (waitingFor.isEmpty()) {
            return;
        }
        LOG.warn("Rebalance of cluster {} (topology {}) has waited {} ms for confirmations from {}: sending them the "
                + "topology again", clusterName, topology.id(), TimeUnit.NANOSECONDS.toMillis(now - rebalanceStartNanos),
                waitingFor);
        ctx.resend(topology, waitingFor);
    }

    private void maybeRebalance() {
        if (!active || topology == null || topology.isRebalancing()) {
            return;
        }
        Set<Member> live = new HashSet<>(ctx.viewMembers());
        List<Member> targetMembers = new ArrayList<>();
        for (Member m : joined) {
            if (live.contains(m)) {
                targetMembers.add(m);
            }
        }
        if (targetMembers.isEmpty()) {
            answerLeaves();
            return;
        }
        // A member back from an exclusion gets the segments it set copies of aside, and empty ones, wherever that
        // moves no more.
        OwnerTable target = Placement.rebalance(topology.current(), targetMembers, topology.numOwners(),
                departedShares.hintFor(targetMembers, emptySegments()));
        if (target.equals(topology.current())) {
            departedShares.settled(topology.current());
            lostShares.settled(topology.current());
            return;
        }
        confirmed.clear();
        rebalanceStartNanos = System.nanoTime();
        lastStallCheckNanos = rebalanceStartNanos;
        int moves = target.slotsAddedComparedTo(topology.current());
        install(new Topology(topology.id() + 1, Phase.READ_OLD_WRITE_ALL, topology.numOwners(), topology.current(),
                target));
        LOG.info("Rebalance of cluster {} started: topology {}, {} members, {} segment copies to transfer", clusterName,
                topology.id(), targetMembers.size(), moves);
    }

    /** The segments whose primaries last reported no live session. */
    private BitSet emptySegments() {
        BitSet empty = new BitSet();
        if (sessionsPerSegment != null) {
            for (int s = 0; s < sessionsPerSegment.length; s++) {
                empty.set(s, sessionsPerSegment[s] == 0);
            }
        }
        return empty;
    }

    private void answerLeaves() {
        for (Iterator<Map.Entry<Member, CompletableFuture<Void>>> it = leaving.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Member, CompletableFuture<Void>> e = it.next();
            boolean stillOwner = topology != null && topology.members().contains(e.getKey());
            boolean othersJoined = joined.stream().anyMatch(j -> !j.equals(e.getKey()));
            if (!stillOwner || !othersJoined) {
                e.getValue().complete(null);
                it.remove();
            }
        }
    }

    private void install(Topology t) {
        topology = t;
        long[] counts = ctx.installEverywhere(t);
        if (sessionsPerSegment == null || sessionsPerSegment.length != counts.length) {
            sessionsPerSegment = counts;
        } else {
            for (int s = 0; s < counts.length; s++) {
                if (counts[s] >= 0) {
                    sessionsPerSegment[s] = counts[s];
                }
            }
        }
    }

    /** The topology this coordinator last installed (for tests and status), or null. */
    public Topology lastInstalled() throws Exception {
        CompletableFuture<Topology> f = new CompletableFuture<>();
        run(() -> f.complete(topology), f);
        return f.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        unanswered.forEach(f -> f.completeExceptionally(closed()));
    }
}
