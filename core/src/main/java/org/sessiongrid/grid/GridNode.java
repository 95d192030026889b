package org.sessiongrid.grid;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import org.jgroups.JChannel;
import org.sessiongrid.expiry.AccessTimes;
import org.sessiongrid.expiry.Expirer;
import org.sessiongrid.grid.InboundRouter.Rule;
import org.sessiongrid.lease.MajorityLease;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.replication.MergeParticipant;
import org.sessiongrid.replication.Replicator;
import org.sessiongrid.replication.SegmentPuller;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.suspicion.Suspector;
import org.sessiongrid.suspicion.Suspicions;
import org.sessiongrid.threads.MemberThreads;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.JoinDecision;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.topology.TopologyCoordinator;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a grid: the composition root that builds its parts, routes other members' requests to
 * them and starts and stops them. Each part owns its state on one named thread or under one lock:
 * <ul>
 * <li>{@link ClusterTransport}: the channel, requests and replies;</li>
 * <li>{@link InboundRouter}: the table of request types, their admission rules and handlers;</li>
 * <li>{@link PrimaryClient}: calls to a session's primary and their retries, access-time batches;</li>
 * <li>{@link Replicator}, {@link MergeParticipant}, {@link SegmentPuller}: the data path, merges, pulls;</li>
 * <li>{@link Membership}: this member's side of the coordinator's protocol; {@link TopologyCoordinator} the
 * coordinator's side, on its own thread, reaching the cluster through {@link CoordinatorLink};</li>
 * <li>{@link TopologyInstaller}: installs and their follow-up, under one lock;</li>
 * <li>{@link PauseDetector}: pauses that may have cost this member its place, the check or rejoin after one;</li>
 * <li>{@link Suspicions}: members silent for longer than {@code backupTimeout}, handed to JGroups to verify;</li>
 * <li>{@link Expirer}, {@link Listeners}, {@link Census}: expiry, the containers' listeners, session counts.</li>
 * </ul>
 * Threads: {@code sessiongrid-<member>-transfer} (pulls, rejoins, catch-ups, local change notices),
 * {@code -scheduler} (expiry, access-time flush, count report), {@code -pause-detector},
 * {@code -coordinator}, {@code -handler-<n>} (the transport's).
 */
final class GridNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GridNode.class);

    /** How often the primary looks for expired sessions. */
    static final long EXPIRY_INTERVAL_MILLIS = 500;

    private final GridConfig config;
    private final GridStats stats = new GridStats();
    private final InstalledTopology installed = new InstalledTopology();
    private final RecordStore records;
    private final ClusterTransport transport;
    private final ExecutorService background;
    private final ScheduledExecutorService scheduler;
    private final Replicator replicator;
    private final SegmentPuller puller;
    private final MergeParticipant merge;
    private final Listeners listeners;
    private final Census census;
    private final TopologyInstaller installer;
    private final TopologyCoordinator coordinator;
    private final Membership membership;
    private final PauseDetector pause;
    private final PrimaryClient primaries;
    private final PartitionGuard partition;
    private final Expirer expirer;
    private final Suspicions suspicions;
    private volatile boolean closed;

    GridNode(GridConfig config) {
        this.config = config;
        this.records = new RecordStore(config.numSegments());
        JChannel channel = MemberChannel.open(config, stats);
        MajorityLease lease = MemberChannel.majorityLease(channel, config);
        WireCodec codec = new WireCodec(config.maxRecordBytes());
        this.transport = new ClusterTransport(channel, codec, config.nodeName(), config.site(), config.rack(),
                config.machine(), config.maxHandlerThreads(), stats::dropped, stats::messagesSent, stats::messagesReceived);
        this.background = Executors.newCachedThreadPool(MemberThreads.named(config.nodeName(), "transfer"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(config.nodeName(), "scheduler"));
        this.partition = new PartitionGuard(lease, installed, transport);
        this.suspicions = new Suspicions(channel, transport, stats, config.backupTimeout(), config.remoteTimeout(),
                this::pausedNow, installed::get);
        Suspector suspector = suspicions.probingEveryMemberIf(config.partitionPolicy() == PartitionPolicy.MINORITY_REFUSES_WRITES);
        this.listeners = new Listeners(this::awaitExpiryPass, transport, background, config.remoteTimeout());
        this.replicator = Replicator.builder(transport, installed, records)
                .synchronous(config.replicationMode() == ReplicationMode.SYNC)
                .remoteTimeoutMillis(config.remoteTimeout())
                .suspectAfter(config.backupTimeout(), suspector)
                .expirySlackMillis(config.accessTimeGranularity())
                .tombstoneSeconds(config.tombstoneTimeout())
                .stats(stats)
                .refusesWritesWhen(() -> closed || isRejoining() || partition.refusesAsMinority())
                .catchUp(this::catchUp)
                .onChange(listeners::notifyChanged)
                .build();
        this.puller = new SegmentPuller(transport::self, transport, installed, records, config.stateTransferChunkSize(),
                config.remoteTimeout(), stats, this::catchUp, background, replicator::returnCopies);
        this.merge = new MergeParticipant(transport::self, transport::viewMembers, transport, installed, records,
                config.stateTransferChunkSize(), config.remoteTimeout(), config.leaveTimeout());
        this.census = new Census(installed, records, transport, this::reportCountsHere, config.remoteTimeout());
        this.installer = new TopologyInstaller(installed, records, transport::self, this::noteInstalled, this::pullLater,
                this::joined, stats);
        this.coordinator = new TopologyCoordinator(new CoordinatorLink(config, transport, installed, installer,
                this::joined, census, merge), config.nodeName(), config.clusterName(), config.numSegments(),
                config.numOwners(), config.partitionPolicy() == PartitionPolicy.MINORITY_REFUSES_WRITES, stats, 3 * config.remoteTimeout());
        LostSegmentPush lostPush = new LostSegmentPush(config, transport, installed, records.kept(), replicator::restore,
                stats, background, () -> !closed && joined());
        this.membership = new Membership(config, transport, coordinator, installed, installer, puller, lostPush,
                background, () -> closed);
        this.pause = new PauseDetector(config, channel, transport, installed, installer, membership, background, () -> closed);
        this.primaries = new PrimaryClient(config, installed, records, transport, replicator, merge, stats, () -> closed,
                this::checkServing, suspector);
        // Grace for inherited sessions: access times reach backups up to one granularity late, plus a pass.
        long grace = 2 * config.accessTimeGranularity() + EXPIRY_INTERVAL_MILLIS;
        this.expirer = Expirer.builder(transport::self, installed::get, records, replicator::commit)
                .stoppedWhen(() -> closed || isRejoining() || pause.pausedNow() || partition.refusesAsMinority() || merge.frozen())
                .onExpired(listeners::expired)
                .mutedWhen(listeners::muted)
                .announceableWhen(listeners::announceable)
                .graceMillis(grace)
                .slackMillis(config.accessTimeGranularity())
                .tombstoneSeconds(config.tombstoneTimeout())
                .claimLeaseMillis(claimLease(config))
                .build();
        transport.setHandler(router());
        transport.setViewListener(v -> { suspicions.onView(v); membership.onView(v); });
    }

    /**
     * How long a container's expiry claim ({@link SessionStore#claimExpiry}) stays its claimant's to announce
     * while the claimant is a member: {@code max(60 s, 4 x remoteTimeout)}. Jetty announces after ending its
     * whole scavenger batch one session at a time, each a round trip that may wait remoteTimeout in a
     * failover: 60 s covers thousands, 4 x remoteTimeout a few failovers. Too short only moves the call to the
     * primary's member (the claimant's announcement then loses); too long only delays the call of a claimant
     * that stopped scavenging. A claimant that dies is handled once it leaves the topology, whatever the lease.
     */
    static long claimLease(GridConfig config) {
        return Math.max(60_000, 4 * config.remoteTimeout());
    }

    /** The requests other members send, each with its admission rules (see {@link InboundRouter.Rule}). */
    private InboundRouter router() {
        long remote = config.remoteTimeout();
        return new InboundRouter(new InboundRouter.View(transport::self, transport::viewMembers, transport::isInView),
                new InboundRouter.MergeFence(merge::frozen, merge::fence), stats, this::isRejoining, pause::mayBeExcludedNow,
                () -> closed, remote, config.leaveTimeout())
                .on(GridMessage.CommitRequest.class, EnumSet.of(Rule.CHANGES_STATE, Rule.SERVES_COPIES,
                        Rule.FENCED_BY_MERGE), (from, c, w) -> {
                    stats.commit(true);
                    return replicator.commit(c, from.id());
                })
                .on(GridMessage.ReplicateRequest.class, EnumSet.of(Rule.CHANGES_STATE, Rule.SERVES_COPIES,
                        Rule.FENCED_BY_MERGE, Rule.ON_DELIVERY_THREAD), (from, r, mayWait) -> replicator.replicate(r, mayWait))
                .on(GridMessage.ReadRequest.class, EnumSet.of(Rule.SERVES_COPIES, Rule.ANSWERS_FROM_COPIES,
                        Rule.ON_DELIVERY_THREAD),
                        (from, r, mayWait) -> {
                    GridMessage answer = replicator.read(r, from.id(), mayWait);
                    if (answer != null) {
                        stats.read(true);
                    }
                    return answer;
                })
                .on(GridMessage.StateRequest.class, EnumSet.of(Rule.SERVES_COPIES, Rule.ANSWERS_FROM_COPIES),
                        (from, s, w) -> replicator.stateChunk(s, config.stateTransferChunkSize()))
                .on(GridMessage.StateDigest.class, EnumSet.of(Rule.SERVES_COPIES, Rule.ANSWERS_FROM_COPIES),
                        (from, d, w) -> replicator.stateDiff(d, config.stateTransferChunkSize()))
                .on(GridMessage.TouchBatch.class, (from, b, w) -> InboundRouter.acked(() -> replicator.touch(b)))
                .on(GridMessage.TopologyUpdate.class, EnumSet.of(Rule.CHANGES_STATE, Rule.FROM_COORDINATOR), (from, u, w) -> {
                    installer.install(u.topology(), from);
                    return census.primaryCounts(u.topology());
                })
                .on(GridMessage.MergePush.class, EnumSet.of(Rule.CHANGES_STATE, Rule.MERGE), (from, p, w) -> {
                    MergeParticipant.Pushed pushed = merge.push(p.mergeId(), p.target());
                    // Anything but a MergeResult tells the coordinator this member's push is incomplete.
                    return pushed.complete() ? new GridMessage.MergeResult(pushed.conflicts())
                            : new Failure("merge push incomplete: a primary of the merged topology did not take records");
                })
                .on(GridMessage.MergeRecords.class, EnumSet.of(Rule.CHANGES_STATE, Rule.MERGE), (from, m, w) -> merge.mergeIn(m))
                .on(GridMessage.RebalanceConfirm.class, EnumSet.of(Rule.CHANGES_STATE), (from, c, w) ->
                        coordinator.confirm(from, c.topologyId()).get(remote, TimeUnit.MILLISECONDS) ? new Ack() : new Retry(0))
                .on(GridMessage.JoinRequest.class, EnumSet.of(Rule.CHANGES_STATE), (from, j, w) -> {
                    JoinDecision d = coordinator.join(from, j.numSegments(), j.numOwners()).get(remote, TimeUnit.MILLISECONDS);
                    return new GridMessage.JoinReply(d.accepted(), d.reason(), d.topology());
                })
                .on(GridMessage.RejoinRequest.class, EnumSet.of(Rule.CHANGES_STATE), (from, j, w) -> {
                    JoinDecision d = coordinator.join(from, j.numSegments(), j.numOwners(), j.keptSegments())
                            .get(remote, TimeUnit.MILLISECONDS);
                    return new GridMessage.RejoinReply(d.accepted(), d.reason(), d.topology(), d.lost().segments(),
                            d.lost().restartedIn());
                })
                .on(GridMessage.RestoreRecords.class, EnumSet.of(Rule.CHANGES_STATE, Rule.SERVES_COPIES,
                        Rule.FENCED_BY_MERGE), (from, r, w) -> replicator.restore(r))
                .on(GridMessage.ReturnCopies.class, EnumSet.of(Rule.CHANGES_STATE, Rule.SERVES_COPIES,
                        Rule.FENCED_BY_MERGE), (from, r, w) -> replicator.returnCopies(r))
                .on(GridMessage.LeaveRequest.class, EnumSet.of(Rule.CHANGES_STATE), (from, l, w) -> {
                    coordinator.leave(from).get(config.leaveTimeout(), TimeUnit.MILLISECONDS);
                    return new Ack();
                })
                .on(GridMessage.KeptQuery.class, (from, q, w) -> new GridMessage.KeptSegments(installer.keptSegments()))
                .on(GridMessage.TopologyQuery.class, (from, q, w) -> new GridMessage.TopologyStatus(installed.get(), membership.joined(),
                        config.numSegments(), config.numOwners(), transport.isInView(from)))
                .on(GridMessage.Suspect.class, EnumSet.of(Rule.CHANGES_STATE), (from, s, w) -> suspicions.received(from, s))
                .on(GridMessage.SegmentCounts.class,
                        (from, c, w) -> InboundRouter.acked(() -> coordinator.reportCounts(c.segments(), c.sessions())))
                .on(GridMessage.ListSessions.class, (from, l, w) -> census.localSessions(l.namespace(), l.exact()))
                .on(GridMessage.Changed.class, (from, ch, w) -> InboundRouter.acked(() -> listeners.changed(ch.key(), ch.version())));
    }

    /** What the other parts note of every install, before its segments are dropped. */
    private void noteInstalled(Topology previous, Topology t) {
        expirer.onTopology(previous, t);
        if (t.phase() == Phase.NONE) {
            replicator.forgetHoldersElsewhere(t);
        }
    }

    // Parts built before the ones they call reach them through these.

    private void catchUp(long topologyId) {
        membership.catchUp(topologyId);
    }

    private boolean awaitExpiryPass(long millis) {
        return expirer.awaitPass(millis);
    }

    private void reportCountsHere(int[] segments, int[] sessions) {
        coordinator.reportCounts(segments, sessions);
    }

    private void pullLater(Topology t, Member decidedBy) {
        try {
            background.execute(() -> membership.pullAndConfirm(t, decidedBy));
        } catch (RejectedExecutionException e) {
            // Refused only once this member closes (an install may still be under way): nothing to pull for.
            if (!closed) {
                throw e;
            }
        }
    }

    private boolean joined() {
        return membership.joined();
    }

    /** Connects and joins; returns once a topology is installed. */
    void start() {
        try {
            transport.connect(config.clusterName());
        } catch (Exception e) {
            close();
            throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "' could not connect with stack '"
                    + config.stack() + "': " + e.getMessage(), e);
        }
        try {
            membership.join();
        } catch (GridStartException e) {
            close();
            throw e;
        }
        scheduler.scheduleWithFixedDelay(() -> scheduled("expiry", expirer::run), EXPIRY_INTERVAL_MILLIS,
                EXPIRY_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> scheduled("access-time flush", primaries::flushAccessTimes),
                config.accessTimeGranularity(), config.accessTimeGranularity(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> scheduled("session count report", census::report),
                Census.REPORT_MILLIS, Census.REPORT_MILLIS, TimeUnit.MILLISECONDS);
        pause.start();
    }

    private void scheduled(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("{} failed: {}", what, e.toString());
            }
        }
    }

    // ---- for SessionGrid, its stores and metrics, and tests ----

    GridConfig config() {
        return config;
    }

    GridStats stats() {
        return stats;
    }

    RecordStore records() {
        return records;
    }

    Topology topology() {
        return installed.get();
    }

    ClusterTransport transport() {
        return transport;
    }

    Member self() {
        return transport.self();
    }

    List<Member> viewMembers() {
        return transport.viewMembers();
    }

    Listeners listeners() {
        return listeners;
    }

    AccessTimes accessTimes() {
        return primaries.accessTimes();
    }

    /** Segments this member still has to pull in the current rebalance. */
    int segmentsPendingTransfer() {
        return puller.pending();
    }

    boolean isLocalPrimary(int segment) {
        Topology t = installed.get();
        return t != null && self().equals(t.primary(segment));
    }

    /** Sessions the coordinator knows of from the members' reports. */
    long reportedSessions() throws Exception {
        return coordinator.reportedSessions();
    }

    /** See {@link SessionGrid#listSessions(String)}; duplicates (during a topology change) keep the newest. */
    Map<String, List<SessionRecord>> listSessions(String namespace, boolean exact) {
        return census.listSessions(namespace, exact);
    }

    /** Calls to sessions' primaries, for this member's stores. */
    PrimaryClient primaries() {
        return primaries;
    }

    /** Throws {@link GridUnavailableException} while this member must not serve: see {@link PartitionGuard}, {@link PauseDetector}. */
    void checkServing(SessionKey key) {
        partition.checkNotMinority(key);
        pause.checkNotPaused(key);
    }

    boolean isRejoining() {
        return pause.isRejoining();
    }

    /** True while this member was just paused itself (see {@link PauseDetector#pausedNow}); false while it starts. */
    private boolean pausedNow() {
        PauseDetector p = pause;
        return p != null && p.pausedNow();
    }

    /** Why this member refuses requests now, or empty while it serves them: see {@link SessionGrid#refusal()}. */
    Optional<String> refusal() {
        return closed ? Optional.of("stopped") : !joined() ? Optional.of("joining the grid")
                : pause.refusal().or(partition::refusal);
    }

    /** For tests: makes the pause detector believe this member was stopped for {@code millis}. */
    void simulatePause(long millis) {
        pause.simulatePause(millis);
    }

    /** Hands this member's segments to the others, then leaves. */
    void leave() {
        if (closed) {
            return;
        }
        membership.leave();
        close();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        membership.forget();
        coordinator.close();
        scheduler.shutdownNow();
        pause.stop();
        background.shutdownNow();
        transport.close();
        installed.clear();
    }

    /** Stops abruptly, as a crash would: no leave, no hand-over. */
    void halt() {
        if (closed) {
            return;
        }
        closed = true;
        membership.forget();
        coordinator.close();
        // No interrupt: an expiry whose tombstone already reached the backups finishes announcing
        // itself, as it would had the crash come a moment later; everything after fails to replicate.
        scheduler.shutdown();
        pause.stop();
        background.shutdownNow();
        try {
            transport.crash();
        } catch (Exception e) {
            LOG.debug("halt", e);
        }
        installed.clear();
    }
}
