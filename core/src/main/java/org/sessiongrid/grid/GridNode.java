package org.sessiongrid.grid;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;

import org.jgroups.JChannel;
import org.jgroups.View;
import org.sessiongrid.jgroups.ChannelSecurity;
import org.sessiongrid.jgroups.SEAL;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.expiry.AccessTimes;
import org.sessiongrid.expiry.Expirer;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.replication.MergeParticipant;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.replication.Replicator;
import org.sessiongrid.replication.SegmentPuller;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.threads.MemberThreads;
import org.sessiongrid.topology.CoordinatorContext;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.JoinDecision;
import org.sessiongrid.topology.MemberStatus;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.topology.TopologyCoordinator;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.transport.MemberGoneException;
import org.sessiongrid.transport.RequestHandler;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.JoinReply;
import org.sessiongrid.wire.GridMessage.JoinRequest;
import org.sessiongrid.wire.GridMessage.LeaveRequest;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.RebalanceConfirm;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;
import org.sessiongrid.wire.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a grid: wires the channel, the coordinator role, the data path and the segment
 * transfer together, routes requests to primaries and retries them across topology changes.
 */
final class GridNode implements CoordinatorContext, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GridNode.class);

    private final GridConfig config;
    private final GridStats stats = new GridStats();
    private final InstalledTopology installed = new InstalledTopology();
    private final RecordStore records;
    private final ClusterTransport transport;
    private final Replicator replicator;
    private final SegmentPuller puller;
    private final MergeParticipant merge;
    private final TopologyCoordinator coordinator;
    private final ExecutorService background;
    private final ScheduledExecutorService scheduler;
    private final ScheduledExecutorService ticker;
    private final AccessTimes accessTimes = new AccessTimes();
    private final Map<String, SessionListener> listeners = new ConcurrentHashMap<>();
    private final Expirer expirer;
    private volatile boolean joined;
    private volatile boolean closed;

    GridNode(GridConfig config) {
        this.config = config;
        this.records = new RecordStore(config.numSegments());
        JChannel channel;
        try {
            channel = StackLoader.newChannel(config.stack(), config.stackProperties(), channelSecurity(config));
        } catch (Exception e) {
            throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "': " + e.getMessage(), e);
        }
        SEAL seal = channel.getProtocolStack().findProtocol(SEAL.class);
        if (seal != null) {
            seal.onDrop(stats::dropped);
        }
        this.pauseThresholdNanos = failureDetectionNanos(channel);
        WireCodec codec = new WireCodec(config.maxRecordBytes());
        this.transport = new ClusterTransport(channel, codec, config.nodeName(), config.site(), config.rack(),
                config.machine(), config.maxHandlerThreads(), stats::dropped, stats::messageSent, stats::messageReceived);
        this.replicator = Replicator.builder(transport, installed, records)
                .synchronous(config.replicationMode() == ReplicationMode.SYNC)
                .remoteTimeoutMillis(config.remoteTimeout())
                .expirySlackMillis(config.accessTimeGranularity())
                .tombstoneSeconds(config.tombstoneTimeout())
                .stats(stats)
                .refusesWritesWhen(() -> closed || rejoining.get() || refusesAsMinority())
                .catchUp(this::catchUp)
                .onChange(this::notifyChanged)
                .build();
        this.coordinator = new TopologyCoordinator(this, config.nodeName(), config.clusterName(), config.numSegments(), config.numOwners(),
                config.partitionPolicy() == PartitionPolicy.MINORITY_REFUSES_WRITES, stats, 3 * config.remoteTimeout());
        this.background = Executors.newCachedThreadPool(MemberThreads.named(config.nodeName(), "transfer"));
        this.puller = new SegmentPuller(transport::self, transport, installed, records, config.stateTransferChunkSize(),
                config.remoteTimeout(), stats, this::catchUp, background);
        this.merge = new MergeParticipant(transport::self, transport::viewMembers, transport, installed, records,
                config.stateTransferChunkSize(), config.remoteTimeout(), config.leaveTimeout());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(config.nodeName(), "scheduler"));
        this.ticker = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(config.nodeName(), "pause-detector"));
        // Grace for inherited sessions: access times reach backups up to one granularity late, plus
        // one expiry pass of slack.
        long grace = 2 * config.accessTimeGranularity() + EXPIRY_INTERVAL_MILLIS;
        this.expirer = Expirer.builder(transport::self, installed::get, records, replicator::commit)
                .stoppedWhen(() -> closed || rejoining.get() || pausedNow() || refusesAsMinority() || merge.frozen())
                .onExpired(this::expired)
                .mutedWhen(mutedNamespaces::contains)
                .announceableWhen(this::announceable)
                .graceMillis(grace)
                .slackMillis(config.accessTimeGranularity())
                .tombstoneSeconds(config.tombstoneTimeout())
                .claimLeaseMillis(claimLease(config))
                .build();
        transport.setHandler(new RequestHandler() {
            @Override
            public GridMessage handle(Member sender, GridMessage request) {
                return GridNode.this.handle(sender, request, true);
            }

            @Override
            public GridMessage handleWithoutBlocking(Member sender, GridMessage request) {
                // A backup applying its primary's change, on every write: on its usual path it needs no
                // lock another thread holds for long, no wait and no message of its own. Everything else
                // may wait (a primary's commit waits for its backups, a coordinator's decisions for other
                // members), sends (a primary forwards access times to its backups), may take long (a
                // touch batch holds up to 65,536 entries) or is too rare to be worth a second path.
                return request instanceof ReplicateRequest ? GridNode.this.handle(sender, request, false) : null;
            }
        });
        transport.setViewListener(this::onView);
    }

    /** How often the primary looks for expired sessions. */
    static final long EXPIRY_INTERVAL_MILLIS = 500;

    /**
     * How long a container's expiry claim ({@link SessionStore#claimExpiry}) stays its claimant's to
     * announce while the claimant is a member: {@code max(60 s, 4 x remoteTimeout)}. A claimant announces
     * only when its container is about to call the listeners, which for Jetty is after the whole
     * scavenger batch was claimed and the sessions before it were ended one by one, each a round trip
     * to its primary that may wait up to remoteTimeout in a failover: 60 s covers a batch of thousands,
     * 4 x remoteTimeout a few failovers during it. Too short only moves the call to the primary's member
     * (the claimant's announcement then loses and it calls nothing); too long only delays the call for a
     * claimant that stays a member without announcing (its container stopped scavenging). A claimant
     * that dies is handled as soon as it leaves the topology, whatever the lease.
     */
    static long claimLease(GridConfig config) {
        return Math.max(60_000, 4 * config.remoteTimeout());
    }
    /** How often a member tells the coordinator how many sessions its primary segments hold. */
    static final long COUNT_REPORT_MILLIS = 2_000;

    private void reportCounts() {
        Topology t = installed.get();
        if (t == null) {
            return;
        }
        GridMessage.SegmentCounts counts = primaryCounts(t);
        List<Member> view = viewMembers();
        if (view.isEmpty()) {
            return;
        }
        if (view.get(0).equals(self())) {
            coordinator.reportCounts(counts.segments(), counts.sessions());
        } else {
            transport.request(view.get(0), counts, config.remoteTimeout());
        }
    }

    /** Sessions the coordinator knows of from the members' reports (tests, status). */
    long reportedSessions() throws Exception {
        return coordinator.reportedSessions();
    }

    private void expired(SessionRecord r) {
        SessionListener l = listeners.get(r.key().namespace());
        if (l != null) {
            l.expired(r);
        } else {
            // Asked right before the announcement (announceable), and a listener is removed only after the
            // pass in flight: this is a listener removed after waiting longer than LISTENER_REMOVAL_WAIT.
            LOG.warn("Session {} expired with no listener for {} on this member: its sessionDestroyed listeners"
                    + " are not called", r.key().id(), r.key().namespace());
        }
    }

    /** Whether an expiry of {@code namespace} can be told to its container on this member now. */
    private boolean announceable(String namespace) {
        SessionListener l = listeners.get(namespace);
        return l != null && !mutedNamespaces.contains(namespace) && l.accepting();
    }

    /** How long removing a listener waits for an expiry pass in flight (that may be calling it). */
    static final long LISTENER_REMOVAL_WAIT_MILLIS = 10_000;

    /**
     * Stops expiring {@code namespace} here and removes its listener once the expiry pass in flight, which
     * may be about to call it, has finished: an expiry announced here is then called, not dropped.
     */
    void removeListener(String namespace) {
        mutedNamespaces.add(namespace);
        if (!expirer.awaitPass(LISTENER_REMOVAL_WAIT_MILLIS)) {
            LOG.warn("The expiry pass did not finish within {} ms while the listener of {} was removed; an expiry it"
                    + " announces now is not called", LISTENER_REMOVAL_WAIT_MILLIS, namespace);
        }
        listeners.remove(namespace);
    }

    AccessTimes accessTimes() {
        return accessTimes;
    }

    /** Namespaces whose listener was removed on this member: it does not expire their sessions. */
    private final java.util.Set<String> mutedNamespaces = java.util.concurrent.ConcurrentHashMap.newKeySet();

    java.util.Set<String> mutedNamespaces() {
        return mutedNamespaces;
    }

    Map<String, SessionListener> listeners() {
        return listeners;
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

    /** Sends the access times collected since the last flush to each session's primary. */
    private void flushAccessTimes() {
        Map<SessionKey, Long> drained = accessTimes.drain();
        Topology t = installed.get();
        if (drained.isEmpty() || t == null) {
            return;
        }
        Map<Member, List<GridMessage.Touch>> byPrimary = new HashMap<>();
        drained.forEach((k, time) -> {
            Member p = t.primary(records.segmentOf(k));
            if (p != null) {
                byPrimary.computeIfAbsent(p, x -> new ArrayList<>()).add(new GridMessage.Touch(k, time));
            }
        });
        byPrimary.forEach((p, all) -> {
            for (int from = 0; from < all.size(); from += WireCodec.MAX_TOUCHES) {
                sendTouches(p, all.subList(from, Math.min(all.size(), from + WireCodec.MAX_TOUCHES)));
            }
        });
    }

    private void sendTouches(Member p, List<GridMessage.Touch> touches) {
        GridMessage.TouchBatch batch = new GridMessage.TouchBatch(touches, false);
        if (p.equals(self())) {
            replicator.touch(batch);
            return;
        }
        transport.request(p, batch, config.remoteTimeout()).exceptionally(e -> {
            // Lost with a dying primary: put them back for the next flush, to the new primary.
            touches.forEach(x -> accessTimes.touched(x.key(), x.accessTime()));
            return null;
        });
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
            join();
        } catch (GridStartException e) {
            close();
            throw e;
        }
        scheduler.scheduleWithFixedDelay(() -> scheduled("expiry", expirer::run), EXPIRY_INTERVAL_MILLIS,
                EXPIRY_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> scheduled("access-time flush", this::flushAccessTimes),
                config.accessTimeGranularity(), config.accessTimeGranularity(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> scheduled("session count report", this::reportCounts),
                COUNT_REPORT_MILLIS, COUNT_REPORT_MILLIS, TimeUnit.MILLISECONDS);
        lastTickNanos = System.nanoTime();
        // Its own thread: a scheduler task that blocks (an expiry waiting for a slow backup) must not
        // look like a pause of the whole member.
        ticker.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Asks the coordinator to take this member in; returns once accepted and a topology is installed. */
    private void join() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.joinTimeout());
        String lastProblem = "no answer";
        while (System.nanoTime() < deadline) {
            Member coord = transport.viewMembers().get(0);
            JoinDecision d;
            try {
                if (coord.equals(self())) {
                    d = coordinator.join(self(), config.numSegments(), config.numOwners()).get(config.remoteTimeout(),
                            TimeUnit.MILLISECONDS);
                } else {
                    GridMessage r = transport.request(coord, new JoinRequest(config.numSegments(), config.numOwners()),
                            config.remoteTimeout()).get(config.remoteTimeout() + 1_000, TimeUnit.MILLISECONDS);
                    d = r instanceof JoinReply jr ? new JoinDecision(jr.accepted(), jr.reason(), jr.topology())
                            : new JoinDecision(false, null, null);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GridStartException("interrupted while joining cluster '" + config.clusterName() + "'", e);
            } catch (ExecutionException | TimeoutException e) {
                lastProblem = String.valueOf(e.getCause() == null ? e : e.getCause());
                d = new JoinDecision(false, null, null);
            }
            if (d.accepted()) {
                installLocal(d.topology(), coord);
                joined = true;
                LOG.info("{} joined cluster {} ({} members, topology {})", self(), config.clusterName(),
                        transport.viewMembers().size(), installed.id());
                return;
            }
            if (d.reason() != null) {
                throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "' refused " + self() + ": "
                        + d.reason(), null);
            }
            // The coordinator is changing or not yet active: wait for the view to settle, bounded.
            try {
                installed.awaitAtLeast(Long.MAX_VALUE, Math.min(deadline, System.nanoTime()
                        + TimeUnit.MILLISECONDS.toNanos(100)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "': no coordinator accepted "
                + self() + " within joinTimeout=" + config.joinTimeout() + " ms (" + lastProblem + ")", null);
    }

    // ---- pauses (GC, SIGSTOP) longer than failure detection ----

    /** How often the pause detector looks at the clock. */
    static final long TICK_MILLIS = 200;
    private volatile long lastTickNanos = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicBoolean rejoining = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * A member stopped for longer than the failure-detection timeout has most likely been expelled
     * while it slept, and the cluster went on without it: its copies may be stale and it may still
     * believe itself primary. It must not serve them. So it drops them and joins again as a member
     * without data (the coordinator first removes it from the tables, as after a crash), and refuses
     * requests until then.
     */
    private final long pauseThresholdNanos;

    /** The cluster secret seals every message; without one, protected mode unless security=none. */
    private static ChannelSecurity channelSecurity(GridConfig config) {
        if (config.isSealed()) {
            return ChannelSecurity.sealed(config.clusterName(), config.clusterSecrets());
        }
        return config.security() == GridConfig.Security.NONE ? ChannelSecurity.none()
                : ChannelSecurity.protectedMode(config.clusterName());
    }

    /**
     * The failure-detection timeout the channel's stack really uses (its failure-detection protocol's),
     * so a stack XML with its own figure counts; 10 s (the shipped stacks' default) for a stack without one.
     */
    private static long failureDetectionNanos(JChannel channel) {
        for (org.jgroups.stack.Protocol p : channel.getProtocolStack().getProtocols()) {
            if (p instanceof org.jgroups.protocols.FailureDetection fd && fd.getTimeout() > 0) {
                return TimeUnit.MILLISECONDS.toNanos(fd.getTimeout());
            }
        }
        return TimeUnit.SECONDS.toNanos(10);
    }

    private void tick() {
        long now = System.nanoTime();
        long gap = now - lastTickNanos;
        lastTickNanos = now;
        if (gap > pauseThresholdNanos) {
            rejoinAfterPause(gap);
        }
    }

    /** Throws if this member was paused (and so may hold stale copies) or is rejoining after one. */
    void checkNotPaused(SessionKey key) {
        long gap = System.nanoTime() - lastTickNanos;
        if (gap > pauseThresholdNanos) {
            rejoinAfterPause(gap);
        }
        if (rejoining.get()) {
            throw new GridUnavailableException("session " + key + " refused: SessionGrid member " + config.nodeName()
                    + " was paused longer than failureDetectionTimeout, so the cluster may have moved on without it;"
                    + " it dropped its copies and is rejoining");
        }
    }

    private boolean pausedNow() {
        return System.nanoTime() - lastTickNanos > pauseThresholdNanos;
    }

    boolean isRejoining() {
        return rejoining.get();
    }

    private void rejoinAfterPause(long gapNanos) {
        if (closed || !joined || !rejoining.compareAndSet(false, true)) {
            return;
        }
        LOG.warn("{} was paused for {} ms, longer than failureDetectionTimeout (a GC pause or SIGSTOP): its copies may be"
                + " stale, so it drops them and rejoins cluster {}", self(), TimeUnit.NANOSECONDS.toMillis(gapNanos),
                config.clusterName());
        org.jgroups.View pausedIn = transport.view();
        background.execute(() -> {
            try {
                joined = false;
                installed.clear();
                for (int s = 0; s < records.numSegments(); s++) {
                    records.dropSegment(s);
                }
                awaitTakenBack(pausedIn);
                join();
                LOG.info("{} rejoined cluster {} after a pause", self(), config.clusterName());
            } catch (Exception e) {
                if (!closed) {
                    LOG.error("{} could not rejoin cluster {} after a pause: {}", self(), config.clusterName(),
                            e.toString());
                }
            } finally {
                lastTickNanos = System.nanoTime();
                rejoining.set(false);
            }
        });
    }

    /**
     * Waits until this member, back from a pause, is among others again. The view it had when it
     * stopped proves nothing: the others may have expelled it meanwhile, and it only learns that from
     * a newer view (MERGE3 brings it back, which can take a while). So it waits for a view newer than
     * {@code pausedIn} with other members, or for another member to answer with a topology that still
     * counts this member (the pause was too short for an expulsion). Joining earlier would join a
     * cluster that is not there (or, as the stale view's coordinator, decide topologies alone).
     */
    private void awaitTakenBack(org.jgroups.View pausedIn) throws InterruptedException {
        long started = System.nanoTime();
        long nextLog = started + TimeUnit.SECONDS.toNanos(30);
        Member me = self();
        while (!closed) {
            org.jgroups.View now = transport.view();
            List<Member> view = viewMembers();
            boolean newView = pausedIn == null || now == null || !now.getViewId().equals(pausedIn.getViewId());
            if (view.size() >= 2 && takenBack(me, view, newView)) {
                return;
            }
            if (System.nanoTime() - nextLog > 0) {
                LOG.info("{} is still waiting to be taken back into cluster {} after its pause ({} s; view {})", me,
                        config.clusterName(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), view);
                nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            }
            installed.awaitAtLeast(Long.MAX_VALUE, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500));
        }
    }

    /**
     * Asks the other members of {@code view}: taken back when one of them still counts this member in
     * its topology (the pause was too short for an expulsion), or, in a view installed since the pause,
     * when they all have this member in their views too. A view only this member holds (it suspected the
     * others while it slept and made itself coordinator) is not enough: their answers show it.
     */
    private boolean takenBack(Member me, List<Member> view, boolean newView) {
        boolean allSeeMe = true;
        int answers = 0;
        for (Member other : view) {
            if (other.equals(me)) {
                continue;
            }
            try {
                GridMessage r = transport.request(other, new TopologyQuery(), config.remoteTimeout())
                        .get(config.remoteTimeout() + 500, TimeUnit.MILLISECONDS);
                if (r instanceof TopologyStatus st) {
                    answers++;
                    if (st.topology() != null && st.topology().members().contains(me) && st.seesSender()) {
                        return true;
                    }
                    allSeeMe &= st.seesSender();
                } else {
                    allSeeMe = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | TimeoutException e) {
                allSeeMe = false;
            }
        }
        return newView && answers > 0 && allSeeMe;
    }

    /** For tests: makes the pause detector believe this member was stopped for {@code millis}. */
    void simulatePause(long millis) {
        lastTickNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(millis);
    }

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

    /** Segments this member still has to pull in the current rebalance. */
    int segmentsPendingTransfer() {
        return puller.pending();
    }

    boolean isLocalPrimary(int segment) {
        Topology t = installed.get();
        return t != null && self().equals(t.primary(segment));
    }

    // ---- CoordinatorContext ----

    @Override
    public Member self() {
        return transport.self();
    }

    @Override
    public List<Member> viewMembers() {
        return transport.viewMembers();
    }

    @Override
    public long[] installEverywhere(Topology t) {
        installLocal(t, self());
        List<Member> others = new ArrayList<>(viewMembers());
        others.remove(self());
        Map<Member, GridMessage> replies = new HashMap<>(
                transport.requestAll(others, new TopologyUpdate(t), config.remoteTimeout()));
        // A member that did not answer (a view change in flight) gets one more try; a member that
        // still misses it catches up when it next meets a newer topology id (see catchUp).
        List<Member> missing = others.stream().filter(m -> !replies.containsKey(m) && transport.isInView(m)).toList();
        if (!missing.isEmpty()) {
            replies.putAll(transport.requestAll(missing, new TopologyUpdate(t), config.remoteTimeout()));
        }
        long[] counts = new long[t.numSegments()];
        java.util.Arrays.fill(counts, -1);
        List<GridMessage> all = new ArrayList<>(replies.values());
        all.add(primaryCounts(t));
        for (GridMessage r : all) {
            if (r instanceof GridMessage.SegmentCounts c) {
                int[] segs = c.segments();
                int[] n = c.sessions();
                for (int i = 0; i < segs.length; i++) {
                    if (segs[i] >= 0 && segs[i] < counts.length) {
                        counts[segs[i]] = n[i];
                    }
                }
            }
        }
        return counts;
    }

    @Override
    public void resend(Topology t, List<Member> members) {
        List<Member> others = members.stream().filter(m -> !m.equals(self())).toList();
        if (!others.isEmpty()) {
            transport.requestAll(others, new TopologyUpdate(t), config.remoteTimeout());
        }
    }

    @Override
    public org.sessiongrid.topology.MergeOutcome pushForMerge(long mergeId, Topology target) {
        return merge.pushEverywhere(mergeId, target);
    }

    /**
     * True while this member is on the minority side of a partition and the policy says to refuse:
     * answering from a copy that the majority may have changed would serve stale data.
     */
    boolean refusesAsMinority() {
        if (config.partitionPolicy() != PartitionPolicy.MINORITY_REFUSES_WRITES) {
            return false;
        }
        Topology t = installed.get();
        if (t == null) {
            return false;
        }
        // Mutual reachability: after a heal JGroups can leave a member with a view that lists others whose
        // views do not list it; counted by its own view alone it would think itself part of a majority.
        long reachable = t.current().members().stream().filter(transport::isMutuallyInView).count();
        return reachable * 2 <= t.current().members().size();
    }

    private GridUnavailableException minorityRefusal(SessionKey key) {
        Topology t = installed.get();
        long reachable = t.current().members().stream().filter(transport::isInView).count();
        return new GridUnavailableException("session " + key + " refused: this member sees only " + reachable + " of "
                + t.current().members().size() + " members, a minority partition (partitionPolicy=minority-refuses-writes);"
                + " it serves again when the partition heals");
    }

    void checkNotMinority(SessionKey key) {
        if (refusesAsMinority()) {
            throw minorityRefusal(key);
        }
    }

    /** See {@link SessionGrid#listSessions(String)}; duplicates (during a topology change) keep the newest. */
    Map<String, List<SessionRecord>> listSessions(String namespace, boolean exact) {
        Map<SessionKey, SessionRecord> all = new HashMap<>();
        List<GridMessage> replies = new ArrayList<>(transport.requestAll(viewMembers(),
                new GridMessage.ListSessions(namespace, exact), config.remoteTimeout()).values());
        replies.add(localSessions(namespace, exact));
        for (GridMessage r : replies) {
            if (r instanceof GridMessage.SessionList l) {
                for (SessionRecord rec : l.records()) {
                    all.merge(rec.key(), rec, (a, b) -> a.version() >= b.version() ? a : b);
                }
            }
        }
        Map<String, List<SessionRecord>> out = new java.util.TreeMap<>();
        all.values().forEach(r -> out.computeIfAbsent(r.key().namespace(), n -> new ArrayList<>()).add(r));
        return out;
    }

    private GridMessage.SessionList localSessions(String namespace, boolean exact) {
        Topology t = installed.get();
        List<SessionRecord> out = new ArrayList<>();
        if (t != null) {
            Member me = self();
            for (int s = 0; s < t.numSegments(); s++) {
                if (!me.equals(t.primary(s))) {
                    continue;
                }
                for (SessionRecord r : records.records(s)) {
                    String ns = r.key().namespace();
                    if (!r.isTombstone() && (exact ? ns.equals(namespace) : ns.startsWith(namespace))) {
                        out.add(new SessionRecord(r.key(), r.version(), r.meta(), new java.util.TreeMap<>()));
                    }
                }
            }
        }
        return new GridMessage.SessionList(out);
    }

    private final java.util.concurrent.atomic.AtomicBoolean catchingUp = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Another member works under topology {@code id} and this one has not installed it: the update
     * may have been lost (a view change in flight). Asks the coordinator for its topology, once at a
     * time, so a lost update cannot leave this member behind for good.
     */
    private void catchUp(long id) {
        if (closed || !catchingUp.compareAndSet(false, true)) {
            return;
        }
        List<Member> view = viewMembers();
        Member coord = view.isEmpty() ? null : view.get(0);
        if (coord == null || coord.equals(self())) {
            catchingUp.set(false);
            return;
        }
        // Installing waits for commits in progress: never on the JGroups thread that delivers the reply.
        transport.request(coord, new TopologyQuery(), config.remoteTimeout()).whenCompleteAsync((r, e) -> {
            try {
                if (r instanceof TopologyStatus s && s.topology() != null && s.topology().id() > installed.id()
                        && sameLineage(installed.get(), s.topology())) {
                    LOG.info("{} was behind (topology {}, others at {}): installed topology {} from {}", self(),
                            installed.id(), id, s.topology().id(), coord);
                    installLocal(s.topology(), coord);
                }
            } finally {
                catchingUp.set(false);
            }
        }, background);
    }

    /** See {@link Topology#leavesOutWhileInstalling}: a newer id from another side of a split is not a successor. */
    private boolean sameLineage(Topology mine, Topology newer) {
        Member missing = newer.leavesOutWhileInstalling(mine, self(), transport::isInView);
        if (missing != null) {
            LOG.info("{} does not install topology {} in place of its topology {}: it leaves out {}, who is in the view"
                    + " (another side's topology before a merge)", self(), newer.id(), mine.id(), missing);
        }
        return missing == null;
    }

    /** Tells the members that hold a copy of a session that it changed. */
    private void notifyChanged(SessionKey key, long version, List<String> memberIds) {
        GridMessage.Changed notice = new GridMessage.Changed(key, version);
        for (String id : memberIds) {
            if (id.equals(self().id())) {
                SessionListener l = listeners.get(key.namespace());
                if (l != null) {
                    background.execute(() -> l.changed(key.id(), version));
                }
                continue;
            }
            for (Member m : viewMembers()) {
                if (m.id().equals(id)) {
                    transport.request(m, notice, config.remoteTimeout());
                }
            }
        }
    }

    /** Live sessions in each segment this member is primary of under {@code t}. */
    private GridMessage.SegmentCounts primaryCounts(Topology t) {
        Member me = self();
        List<int[]> pairs = new ArrayList<>();
        for (int s = 0; s < t.numSegments(); s++) {
            if (me.equals(t.primary(s))) {
                int live = 0;
                for (SessionRecord r : records.records(s)) {
                    if (!r.isTombstone()) {
                        live++;
                    }
                }
                pairs.add(new int[] {s, live});
            }
        }
        return new GridMessage.SegmentCounts(pairs.stream().mapToInt(p -> p[0]).toArray(),
                pairs.stream().mapToInt(p -> p[1]).toArray());
    }

    @Override
    public Map<Member, MemberStatus> queryAll() {
        Map<Member, MemberStatus> out = new HashMap<>();
        out.put(self(), new MemberStatus(installed.get(), joined, config.numSegments(), config.numOwners()));
        List<Member> others = new ArrayList<>(viewMembers());
        others.remove(self());
        transport.requestAll(others, new TopologyQuery(), config.remoteTimeout()).forEach((m, r) -> {
            if (r instanceof TopologyStatus s) {
                out.put(m, new MemberStatus(s.topology(), s.joined(), s.numSegments(), s.numOwners()));
            }
        });
        return out;
    }

    // ---- events ----

    private void onView(View view) {
        if (closed) {
            return;
        }
        List<Member> members = viewMembers();
        LOG.info("View {} of cluster {}: {} members {}", view.getViewId().getId(), config.clusterName(), members.size(),
                members);
        coordinator.onView(members, view instanceof org.jgroups.MergeView);
        if (joined && !members.isEmpty() && !members.get(0).equals(self())) {
            // Topology updates from a coordinator this member did not see yet were refused: ask for
            // the coordinator's topology now that it is in the view.
            background.execute(() -> catchUp(installed.id() + 1));
        }
    }

    /**
     * Installs a topology decided by {@code coordinator}, the member that sent it: a rebalance's
     * confirmation goes back to that member, not to whoever this member's view names first (a view that
     * lags behind would name a coordinator that is already gone).
     */
    private void installLocal(Topology t, Member coordinator) {
        Topology previous = installed.get();
        if (t == null || !installed.install(t)) {
            return;
        }
        expirer.onTopology(previous, t);
        Member me = self();
        LOG.debug("{} installed topology {} ({})", me, t.id(), t.phase());
        if (t.phase() == Phase.NONE) {
            replicator.forgetHoldersElsewhere(t);
            int dropped = 0;
            for (int s = 0; s < t.numSegments(); s++) {
                if (!t.keeps(me, s) && records.size(s) > 0) {
                    dropped += records.dropSegment(s);
                }
            }
            if (dropped > 0) {
                LOG.debug("{} dropped {} records of segments it no longer owns", me, dropped);
            }
        } else if (t.phase() == Phase.READ_OLD_WRITE_ALL && t.members().contains(me)) {
            background.execute(() -> pullAndConfirm(t, coordinator));
        }
    }

    private void pullAndConfirm(Topology t, Member decidedBy) {
        try {
            if (!puller.pull(t)) {
                return;
            }
            // Confirm to the member that decided the rebalance while it is in the view (a view that lags
            // behind the coordinator's may not show it yet: then the view's first member, which takes
            // it only if it runs that rebalance), and again until one takes it or another topology
            // replaces this one.
            int attempt = 0;
            while (!closed && installed.id() == t.id()) {
                List<Member> view = viewMembers();
                Member target = transport.isInView(decidedBy) || view.isEmpty() ? decidedBy : view.get(0);
                try {
                    if (target.equals(self())) {
                        if (coordinator.confirm(self(), t.id()).get(config.remoteTimeout(), TimeUnit.MILLISECONDS)) {
                            return;
                        }
                    } else {
                        GridMessage r = transport.request(target, new RebalanceConfirm(t.id()), config.remoteTimeout())
                                .get(config.remoteTimeout() + 1_000, TimeUnit.MILLISECONDS);
                        if (r instanceof Ack) {
                            return;
                        }
                    }
                } catch (ExecutionException | TimeoutException e) {
                    LOG.debug("Confirmation of topology {} to {} failed: {}", t.id(), target, String.valueOf(e.getCause()));
                }
                if (++attempt % 20 == 0) {
                    LOG.info("{} could not confirm its segment transfer of topology {} yet ({} attempts, decided by {},"
                            + " view {})", self(), t.id(), attempt, decidedBy, view);
                }
                installed.awaitNewerThan(t.id(), 500, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("Segment transfer under topology {} failed: {}", t.id(), e.toString());
            }
        }
    }

    /**
     * Requests that change what this member holds or decides. Taken only from members in this
     * member's view: after a partition heals, JGroups can briefly hold two views that each leave out
     * the other's coordinator, and two coordinators installing topologies on the same members (or a
     * primary this member does not see writing to it) would mix two clusters' decisions.
     */
    private static boolean changesState(GridMessage msg) {
        return msg instanceof CommitRequest || msg instanceof ReplicateRequest || msg instanceof TopologyUpdate
                || msg instanceof GridMessage.MergePush || msg instanceof GridMessage.MergeRecords
                || msg instanceof RebalanceConfirm || msg instanceof JoinRequest || msg instanceof LeaveRequest;
    }

    /**
     * True once {@code sender} is in this member's view, waiting up to {@code waitMillis}: a view
     * lags behind on some members (a merge view can arrive seconds later on one of them), and the
     * sender, which already sees this member, should not have to retry for that.
     */
    private boolean inViewSoon(Member sender, long waitMillis) throws InterruptedException {
        return viewSoon(() -> transport.isInView(sender), waitMillis);
    }

    /**
     * True once {@code sender} is the first member of this member's view (its coordinator), waiting up to
     * {@code waitMillis} for a lagging view, as {@link #inViewSoon}.
     */
    private boolean coordinatorSoon(Member sender, long waitMillis) throws InterruptedException {
        return viewSoon(() -> {
            List<Member> view = viewMembers();
            return !view.isEmpty() && view.get(0).equals(sender);
        }, waitMillis);
    }

    private boolean viewSoon(BooleanSupplier condition, long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (!condition.getAsBoolean()) {
            if (closed || System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /**
     * Answers a request from another member.
     *
     * @param mayWait false on the JGroups thread that delivered the request (only for a
     *                {@link ReplicateRequest}; see {@link RequestHandler#handleWithoutBlocking}):
     *                then, wherever the answer would need a wait (for the sender to appear in this member's
     *                view, for this member to catch up with the sender's topology), null, before anything
     *                changed; the transport then calls this again on its executor, with {@code mayWait}
     */
    private GridMessage handle(Member sender, GridMessage msg, boolean mayWait) {
        if (!mayWait && !(msg instanceof ReplicateRequest)) {
            return null;
        }
        if (rejoining.get() && (msg instanceof CommitRequest || msg instanceof ReadRequest
                || msg instanceof ReplicateRequest || msg instanceof StateRequest)) {
            return new Retry(0);
        }
        try {
            // A merge's pushes come while views still settle, and a member whose records are not pushed
            // loses them when it installs the merged topology: wait longer for those.
            long viewWait = msg instanceof GridMessage.MergePush || msg instanceof GridMessage.MergeRecords
                    ? config.leaveTimeout() / 2 : config.remoteTimeout() / 2;
            if (!mayWait && changesState(msg) && !transport.isInView(sender)) {
                return null;
            }
            if (changesState(msg) && !inViewSoon(sender, viewWait)) {
                stats.dropped("sender-not-in-view");
                LOG.debug("{} refused {} from {}: not in this member's view {}", self(), msg.getClass().getSimpleName(),
                        sender, viewMembers());
                return Retry.notInView();
            }
            // Topologies only from this member's own coordinator: while views disagree (right after a heal, or
            // a member the others excluded), two coordinators can each count this member as theirs, and
            // installing both would mix two clusters' placements. A member left behind catches up from its
            // coordinator (catchUp) or is merged.
            if (msg instanceof TopologyUpdate u && !coordinatorSoon(sender, viewWait)) {
                stats.dropped("sender-not-coordinator");
                LOG.info("{} refused topology {} from {}: not the coordinator of this member's view {}", self(),
                        u.topology().id(), sender, viewMembers());
                return new Retry(0);
            }
            if ((msg instanceof CommitRequest || msg instanceof ReplicateRequest) && merge.frozen()) {
                return new Retry(merge.fence());
            }
            if (msg instanceof CommitRequest c) {
                stats.commit(true);
                return replicator.commit(c, sender.id());
            } else if (msg instanceof ReplicateRequest r) {
                return replicator.replicate(r, mayWait);
            } else if (msg instanceof ReadRequest r) {
                stats.read(true);
                return replicator.read(r, sender.id());
            } else if (msg instanceof GridMessage.TouchBatch b) {
                replicator.touch(b);
                return new Ack();
            } else if (msg instanceof StateRequest s) {
                return replicator.stateChunk(s, config.stateTransferChunkSize());
            } else if (msg instanceof TopologyUpdate u) {
                installLocal(u.topology(), sender);
                return primaryCounts(u.topology());
            } else if (msg instanceof GridMessage.ListSessions l) {
                return localSessions(l.namespace(), l.exact());
            } else if (msg instanceof GridMessage.Changed ch) {
                SessionListener l = listeners.get(ch.key().namespace());
                if (l != null) {
                    l.changed(ch.key().id(), ch.version());
                }
                return new Ack();
            } else if (msg instanceof GridMessage.MergePush p) {
                MergeParticipant.Pushed pushed = merge.push(p.mergeId(), p.target());
                // Anything but a MergeResult tells the coordinator this member's push is incomplete.
                return pushed.complete() ? new GridMessage.MergeResult(pushed.conflicts())
                        : new Failure("merge push incomplete: a primary of the merged topology did not take records");
            } else if (msg instanceof GridMessage.MergeRecords m) {
                return merge.mergeIn(m);
            } else if (msg instanceof GridMessage.SegmentCounts c) {
                coordinator.reportCounts(c.segments(), c.sessions());
                return new Ack();
            } else if (msg instanceof TopologyQuery) {
                return new TopologyStatus(installed.get(), joined, config.numSegments(), config.numOwners(),
                        transport.isInView(sender));
            } else if (msg instanceof RebalanceConfirm c) {
                return coordinator.confirm(sender, c.topologyId()).get(config.remoteTimeout(), TimeUnit.MILLISECONDS)
                        ? new Ack() : new Retry(0);
            } else if (msg instanceof JoinRequest j) {
                JoinDecision d = coordinator.join(sender, j.numSegments(), j.numOwners())
                        .get(config.remoteTimeout(), TimeUnit.MILLISECONDS);
                return new JoinReply(d.accepted(), d.reason(), d.topology());
            } else if (msg instanceof LeaveRequest) {
                coordinator.leave(sender).get(config.leaveTimeout(), TimeUnit.MILLISECONDS);
                return new Ack();
            }
            stats.dropped("unexpected-type");
            return new Failure("unexpected request " + msg.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            return new Failure(String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    // ---- originator side ----

    /**
     * Sends the request built for the current topology to the key's primary (handling it here when
     * this member is the primary) and retries across topology changes until {@code remoteTimeout}.
     */
    <T extends GridMessage> T callPrimary(SessionKey key, LongFunction<GridMessage> requestForTopology, Class<T> replyType) {
        return callPrimary(key, requestForTopology, replyType, 0);
    }

    /** As {@link #callPrimary(SessionKey, LongFunction, Class)}, allowing {@code extraMillis} more (a lock wait). */
    <T extends GridMessage> T callPrimary(SessionKey key, LongFunction<GridMessage> requestForTopology, Class<T> replyType,
                                          long extraMillis) {
        long timeout = config.remoteTimeout() + extraMillis;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        int segment = records.segmentOf(key);
        int attempt = 0;
        String last = "no topology";
        try {
            while (true) {
                if (closed) {
                    throw new GridUnavailableException("SessionGrid member " + config.nodeName() + " is stopped");
                }
                checkNotMinority(key);
                checkNotPaused(key);
                Topology t = installed.get();
                Member primary = t == null ? null : t.primary(segment);
                GridMessage reply = null;
                if (primary != null) {
                    GridMessage request = requestForTopology.apply(t.id());
                    if (primary.equals(self())) {
                        reply = handleLocally(request);
                    } else {
                        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                        try {
                            reply = transport.request(primary, request, left).get(left + 500, TimeUnit.MILLISECONDS);
                        } catch (ExecutionException e) {
                            last = String.valueOf(e.getCause());
                            if (!(e.getCause() instanceof MemberGoneException)
                                    && !(e.getCause() instanceof TimeoutException)) {
                                throw new GridUnavailableException("request for session " + key + " to " + primary
                                        + " failed: " + e.getCause(), e.getCause());
                            }
                        } catch (TimeoutException e) {
                            last = primary + " did not answer";
                        }
                    }
                    if (reply instanceof Failure f) {
                        throw new GridUnavailableException("primary " + primary + " of session " + key + " failed: "
                                + f.message());
                    }
                    if (replyType.isInstance(reply)) {
                        return replyType.cast(reply);
                    }
                    if (reply != null && !(reply instanceof Retry)) {
                        stats.dropped("unexpected-reply");
                        throw new GridUnavailableException("primary " + primary + " of session " + key + " answered "
                                + reply.getClass().getSimpleName() + " where " + replyType.getSimpleName() + " belongs");
                    }
                }
                stats.retry();
                attempt++;
                long tid = t == null ? 0 : t.id();
                if (reply instanceof Retry r && r.topologyId() > tid) {
                    installed.awaitAtLeast(r.topologyId(), deadline);
                } else if (reply instanceof Retry) {
                    // The primary is behind us or busy: give it a moment, bounded by the deadline.
                    long pause = TimeUnit.MILLISECONDS.toNanos(Math.min(5L * attempt, 200));
                    installed.awaitAtLeast(tid + 1, Math.min(deadline, System.nanoTime() + pause));
                    last = "primary " + primary + " asked to retry";
                } else if (primary != null && !transport.isInView(primary)) {
                    // Either the primary died (a new topology follows) or this member's view lags behind
                    // the one the topology was made in (after a merge): look again shortly for both.
                    installed.awaitAtLeast(tid + 1, Math.min(deadline, System.nanoTime()
                            + TimeUnit.MILLISECONDS.toNanos(100)));
                } else {
                    installed.awaitAtLeast(tid + 1, deadline);
                    if (primary == null) {
                        last = "segment " + segment + " has no owner";
                    }
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new GridUnavailableException("no primary of session " + key + " answered within remoteTimeout="
                            + timeout + " ms (topology " + installed.id() + ", " + attempt + " attempts; last: " + last
                            + ")");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GridUnavailableException("interrupted while waiting for the primary of session " + key, e);
        }
    }

    private GridMessage handleLocally(GridMessage request) {
        if (request instanceof CommitRequest c) {
            if (merge.frozen()) {
                return new Retry(merge.fence());
            }
            stats.commit(false);
            return replicator.commit(c, null);
        }
        if (request instanceof ReadRequest r) {
            stats.read(false);
            return replicator.read(r, null);
        }
        throw new IllegalArgumentException("not a primary request: " + request);
    }

    // ---- shutdown ----

    /** Hands this member's segments to the others, then leaves. */
    void leave() {
        if (closed) {
            return;
        }
        if (joined && viewMembers().size() > 1) {
            Member coord = viewMembers().get(0);
            try {
                if (coord.equals(self())) {
                    coordinator.leave(self()).get(config.leaveTimeout(), TimeUnit.MILLISECONDS);
                } else {
                    GridMessage r = transport.request(coord, new LeaveRequest(), config.leaveTimeout())
                            .get(config.leaveTimeout() + 1_000, TimeUnit.MILLISECONDS);
                    if (!(r instanceof Ack)) {
                        LOG.warn("{} left cluster {} without handing over its segments: coordinator answered {}", self(),
                                config.clusterName(), r);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("{} left cluster {} before its segments were handed over (leaveTimeout={} ms): {}", self(),
                        config.clusterName(), config.leaveTimeout(), String.valueOf(e.getCause() == null ? e : e.getCause()));
            }
        }
        close();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        joined = false;
        coordinator.close();
        scheduler.shutdownNow();
        ticker.shutdownNow();
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
        joined = false;
        coordinator.close();
        // No interrupt: an expiry whose tombstone already reached the backups finishes announcing
        // itself, as it would had the crash come a moment later; everything after fails to replicate.
        scheduler.shutdown();
        ticker.shutdownNow();
        background.shutdownNow();
        try {
            transport.crash();
        } catch (Exception e) {
            LOG.debug("halt", e);
        }
        installed.clear();
    }
}
