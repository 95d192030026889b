package org.sessiongrid.grid;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.protocols.FailureDetection;
import org.jgroups.protocols.MERGE3;
import org.jgroups.stack.Protocol;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.suspicion.Suspicions;
import org.sessiongrid.threads.MemberThreads;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects that this member was stopped (a long GC pause, SIGSTOP) for longer than the failure-detection
 * timeout, and rejoins. Such a member has most likely been expelled while it slept, and the cluster went
 * on without it: its copies may be stale and it may still believe itself primary. It must not serve them.
 * So it refuses requests, sets its copies aside (it never serves them again) and joins again as a member
 * without data (the coordinator first removes it from the tables, as after a crash); its pulls then take back
 * those of the kept copies that their sources say are current (a catch-up, see {@code SegmentPuller}).
 *
 * <p>A shorter pause can also have cost this member its place: another member that waited
 * {@code backupTimeout} for it suspects it, and JGroups excludes it if it does not answer within
 * VERIFY_SUSPECT2's timeout. So a pause longer than {@code backupTimeout + verifySuspectTimeout} (the
 * check threshold) holds this member's requests while it finds out: once every verification that may
 * have started during the pause has ended (two of VERIFY_SUSPECT2's timeouts, and a margin), it asks the
 * others whether they still count it. If they all do, it serves on with its copies; if one says it does not, it
 * sets them aside and rejoins as above. One that does not answer while still in the view (cut off by a partition
 * that began meanwhile, or frozen) says nothing about this member's place: it is asked again until it answers or
 * leaves the view, for as long as failure detection could take to exclude it.
 *
 * <p>A member whose topology names it alone serves on after a pause only if it was alone before the pause began
 * (a one-node farm, or the last member of a farm whose others left earlier): nobody held its sessions to serve
 * them meanwhile. One that became alone during the pause or just before it (it dropped the others from its view
 * on its own failure detection or suspicions while it was cut off, frozen or starved) proves nothing by it: the
 * others most likely dropped it too and served its sessions on. It holds its requests until another member is
 * in its view again (then it sets its copies aside and rejoins, as above), or until a member that could reach it
 * would have merged with it (failure detection, a check and one of MERGE3's rounds): then the others are gone or
 * still cut off, and it serves on as a partition of its own, which the merge reconciles.
 *
 * <p>Thread safety: the clock is read every {@value #TICK_MILLIS} ms on its own thread
 * ({@code sessiongrid-<member>-pause-detector}), so that a scheduler task that blocks (an expiry waiting
 * for a slow backup) does not look like a pause of the whole member; {@link #lastTick} is atomic
 * (also read by request threads); {@link #rejoining} lets one rejoin run at a time, on the transfer
 * executor.
 */
final class PauseDetector {

    private static final Logger LOG = LoggerFactory.getLogger(PauseDetector.class);

    /** How often the pause detector looks at the clock. */
    static final long TICK_MILLIS = 200;

    private final GridConfig config;
    private final long thresholdNanos;
    private final long checkThresholdNanos;
    private final long verificationMillis;
    private final ClusterTransport transport;
    private final InstalledTopology installed;
    private final TopologyInstaller installer;
    private final Membership membership;
    private final Executor transfers;
    private final BooleanSupplier closed;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean rejoining = new AtomicBoolean();
    /** The check after a pause above the check threshold, while it runs; completed otherwise. */
    private final AtomicReference<CompletableFuture<Void>> check =
            new AtomicReference<>(CompletableFuture.completedFuture(null));
    /** When the running check's first wait (for verifications begun during the pause) ends (nanoTime). */
    private volatile long verificationEndsNanos = System.nanoTime();
    /** When the clock was last seen running (nanoTime). */
    private final AtomicLong lastTick = new AtomicLong(System.nanoTime());
    /** Since when this member's topology names it alone. */
    private final Solitude solitude;
    /** How long a member that became alone around a pause waits for another member before it serves on alone. */
    private final long aloneWaitNanos;

    PauseDetector(GridConfig config, JChannel channel, ClusterTransport transport, InstalledTopology installed,
                  TopologyInstaller installer, Membership membership, Executor transfers, BooleanSupplier closed) {
        this.config = config;
        this.thresholdNanos = failureDetectionNanos(channel);
        long verify = Suspicions.verifyTimeoutMillis(channel);
        this.checkThresholdNanos = Math.min(thresholdNanos, TimeUnit.MILLISECONDS.toNanos(config.backupTimeout() + verify));
        this.verificationMillis = 2 * verify + 500;
        this.transport = transport;
        this.installed = installed;
        this.installer = installer;
        this.membership = membership;
        this.transfers = transfers;
        this.closed = closed;
        this.ticker = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(config.nodeName(), "pause-detector"));
        this.solitude = new Solitude(transport::self);
        this.aloneWaitNanos = thresholdNanos + TimeUnit.MILLISECONDS.toNanos(verificationMillis + mergeRoundMillis(channel));
    }

    /**
     * How long MERGE3 may take to merge two views whose members hear each other again: an announcement from the
     * other side (sent at most every {@code max_interval}) and the check that compares them (every 1.6 x
     * {@code max_interval}); 0 for a stack without MERGE3.
     */
    private static long mergeRoundMillis(JChannel channel) {
        MERGE3 merge = channel.getProtocolStack().findProtocol(MERGE3.class);
        return merge == null ? 0 : merge.getMaxInterval() + Math.max(merge.getCheckInterval(), merge.getMaxInterval());
    }

    /**
     * The failure-detection timeout the channel's stack really uses (its failure-detection protocol's),
     * so a stack XML with its own figure counts; 10 s (the shipped stacks' default) for a stack without one.
     */
    private static long failureDetectionNanos(JChannel channel) {
        for (Protocol p : channel.getProtocolStack().getProtocols()) {
            if (p instanceof FailureDetection fd && fd.getTimeout() > 0) {
                return TimeUnit.MILLISECONDS.toNanos(fd.getTimeout());
            }
        }
        return TimeUnit.SECONDS.toNanos(10);
    }

    /** Starts looking at the clock (once this member joined). */
    void start() {
        lastTick.set(System.nanoTime());
        ticker.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    void stop() {
        ticker.shutdownNow();
    }

    private void tick() {
        long last = lastTick.get();
        long now = System.nanoTime();
        afterGap(now - last);
        // A reading set meanwhile (a check's end, the test hook's pause) stands: overwriting the hook's would
        // lose the pause it simulates.
        lastTick.compareAndSet(last, now);
        // Noted after the gap was judged: a topology that named others when the gap was first seen did not name
        // them before it.
        solitude.note(installed.get(), now);
    }

    private void afterGap(long gap) {
        if (gap > checkThresholdNanos && aloneInItsTopology()) {
            if (solitude.aloneBefore(System.nanoTime() - gap, checkThresholdNanos)) {
                serveOnAlone(gap);
            } else {
                awaitOthersAfterPause(gap);
            }
        } else if (gap > thresholdNanos) {
            rejoinAfterPause(gap);
        } else if (gap > checkThresholdNanos) {
            checkAfterPause(gap);
        }
    }

    /**
     * True if this member's topology names it alone. If it was so before the pause ({@link Solitude}), no other
     * member held its sessions, so none could have excluded it and served them on while it was paused (a member
     * that started meanwhile could not join through it and formed a cluster of its own, which the merge reconciles
     * as any partition's): setting its copies aside would set aside the only ones, and a rejoin would wait for a
     * cluster that is not there. Alone only since then, it proves nothing (the class comment).
     */
    private boolean aloneInItsTopology() {
        return solitude.alone(installed.get());
    }

    private void serveOnAlone(long gapNanos) {
        long last = lastTick.get();
        if (System.nanoTime() - last > checkThresholdNanos && lastTick.compareAndSet(last, System.nanoTime())) {
            LOG.info("{} was paused for {} ms; it is the only member of cluster {}, so nobody could have excluded it or"
                    + " served its sessions meanwhile: it serves on with its copies", transport.self(),
                    TimeUnit.NANOSECONDS.toMillis(gapNanos), config.clusterName());
        }
    }

    /**
     * After a pause that this member's topology of itself alone does not explain (it became alone during the
     * pause or just before it, see the class comment): holds requests until another member is in its view
     * again, then sets its copies aside and rejoins; or, when none is after {@link #aloneWaitNanos}, serves on.
     */
    private void awaitOthersAfterPause(long gapNanos) {
        long giveUp = System.nanoTime() + aloneWaitNanos;
        // Other members' reads from its copies wait as long: one merged with it meanwhile may still name it primary.
        CompletableFuture<Void> done = beginHold(giveUp);
        if (done == null) {
            return;
        }
        Member me = transport.self();
        LOG.warn("{} was paused for {} ms and is alone in its topology, but it dropped the other members during or"
                + " just before the pause: they may have dropped it too and served its sessions meanwhile. It holds its"
                + " requests until another member is in its view again (then it sets its copies aside and rejoins), or"
                + " for {} ms", me, TimeUnit.NANOSECONDS.toMillis(gapNanos), TimeUnit.NANOSECONDS.toMillis(aloneWaitNanos));
        View pausedIn = transport.view();
        transfers.execute(() -> {
            try {
                while (transport.viewMembers().size() < 2 && System.nanoTime() - giveUp < 0 && !closed.getAsBoolean()) {
                    installed.awaitAtLeast(Long.MAX_VALUE, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
                }
                if (transport.viewMembers().size() >= 2) {
                    rejoinAfterPause(gapNanos, pausedIn);
                } else if (!closed.getAsBoolean()) {
                    LOG.warn("{} heard from no other member of cluster {} within {} ms after its pause: they are gone or"
                            + " still cut off, so it serves on with its copies as a partition of its own (the merge"
                            + " reconciles it with theirs)", me, config.clusterName(),
                            TimeUnit.NANOSECONDS.toMillis(aloneWaitNanos));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lastTick.set(System.nanoTime());
                done.complete(null);
            }
        });
    }

    /**
     * Throws if this member was paused (and so may hold stale copies) or is rejoining after one; waits (up to
     * {@code remoteTimeout}) while it checks whether a shorter pause cost it its place.
     */
    void checkNotPaused(SessionKey key) {
        afterGap(System.nanoTime() - lastTick.get());
        CompletableFuture<Void> c = check.get();
        if (!c.isDone()) {
            try {
                c.get(config.remoteTimeout(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GridUnavailableException("interrupted while SessionGrid member " + config.nodeName()
                        + " checked whether it was excluded during a pause", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new GridUnavailableException("session " + key + " refused: SessionGrid member " + config.nodeName()
                        + " could not find out in time whether the cluster excluded it during a pause", e);
            }
        }
        if (rejoining.get()) {
            throw new GridUnavailableException("session " + key + " refused: SessionGrid member " + config.nodeName()
                    + " was paused long enough for the cluster to have moved on without it (excluded it);"
                    + " it set its copies aside and is rejoining");
        }
    }

    /** True while the clock says this member is paused right now (its ticks are overdue) or checks after a pause. */
    boolean pausedNow() {
        return System.nanoTime() - lastTick.get() > checkThresholdNanos || !check.get().isDone();
    }

    /**
     * True while an exclusion of this member may still be under way after a pause: its clock shows the pause now
     * (its ticks are overdue), or the check after one still waits for the verifications that may have started
     * during it. Until then a member that has not installed the view and topology without this one may still ask
     * it for its copies; after it, every such exclusion has happened and been installed.
     */
    boolean mayBeExcludedNow() {
        long now = System.nanoTime();
        return now - lastTick.get() > checkThresholdNanos || !check.get().isDone() && now - verificationEndsNanos < 0;
    }

    /**
     * Starts holding this member's requests after a pause, and the others' reads from its copies until
     * {@code copiesHeldUntilNanos}; returns the hold, to complete when it ends, or null when a hold runs already or
     * this member does not serve (closed, not joined, rejoining).
     */
    private CompletableFuture<Void> beginHold(long copiesHeldUntilNanos) {
        CompletableFuture<Void> current = check.get();
        if (closed.getAsBoolean() || !membership.joined() || rejoining.get() || !current.isDone()) {
            return null;
        }
        // Set before the hold shows as running; a hold that loses the race below only extends it.
        verificationEndsNanos = copiesHeldUntilNanos;
        CompletableFuture<Void> done = new CompletableFuture<>();
        return check.compareAndSet(current, done) ? done : null;
    }

    /**
     * After a pause above the check threshold: holds requests, waits until every verification that may have
     * started during the pause has ended, then serves on if the others still count this member, or sets its
     * copies aside and rejoins if not (see the class comment).
     */
    private void checkAfterPause(long gapNanos) {
        long verified = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(verificationMillis);
        CompletableFuture<Void> done = beginHold(verified);
        if (done == null) {
            return;
        }
        Member me = transport.self();
        LOG.info("{} was paused for {} ms, longer than backupTimeout + verifySuspectTimeout: it holds its requests for"
                + " {} ms, until any exclusion of it during the pause has happened, then asks the others whether they"
                + " still count it", me, TimeUnit.NANOSECONDS.toMillis(gapNanos), verificationMillis);
        View pausedIn = transport.view();
        transfers.execute(() -> {
            try {
                installed.awaitAtLeast(Long.MAX_VALUE, verified);
                // Long enough for failure detection to exclude a member that went silent during the pause.
                long giveUp = System.nanoTime() + thresholdNanos + TimeUnit.MILLISECONDS.toNanos(verificationMillis);
                Boolean counted = stillCounted(me);
                while (counted == null && System.nanoTime() - giveUp < 0 && !closed.getAsBoolean()) {
                    // A member of the view did not answer: it may sit across a partition that began meanwhile,
                    // and leave the view soon. Its silence says nothing about this member's place: ask again
                    // once it answers or has left (requests stay held meanwhile).
                    installed.awaitAtLeast(Long.MAX_VALUE, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
                    counted = stillCounted(me);
                }
                if (Boolean.TRUE.equals(counted)) {
                    LOG.info("{} is still counted by every other member after its {} ms pause: it serves on with its"
                            + " copies", me, TimeUnit.NANOSECONDS.toMillis(gapNanos));
                } else {
                    rejoinAfterPause(gapNanos, pausedIn);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lastTick.set(System.nanoTime());
                done.complete(null);
            }
        });
    }

    /**
     * True if every other member of this member's view answers, at once, that it has this member in its view and
     * its topology; false if one answers that it has not, or no other member is left; null if one that is still
     * in the view did not answer within the verification's time (unknown: a cut, or a busy member). A member that
     * left the view meanwhile (it crashed, or sits across a partition) does not count against it.
     */
    private Boolean stillCounted(Member me) {
        List<Member> others = transport.viewMembers().stream().filter(m -> !m.equals(me)).toList();
        Map<Member, GridMessage> answers = transport.requestAll(others, new TopologyQuery(), verificationMillis);
        boolean unknown = false;
        for (Member other : others) {
            GridMessage r = answers.get(other);
            if (r == null) {
                unknown |= transport.isInView(other);
                continue;
            }
            if (!(r instanceof TopologyStatus st) || !st.seesSender() || st.topology() == null
                    || !st.topology().members().contains(me)) {
                return false;
            }
        }
        return unknown ? null : !answers.isEmpty();
    }

    /** Why this member refuses requests because of a pause, or empty when it was not paused. */
    Optional<String> refusal() {
        return rejoining.get() ? Optional.of("paused long enough to have been excluded; it sets its copies aside and rejoins")
                : pausedNow() ? Optional.of("paused; it holds requests until it knows whether it was excluded meanwhile")
                : Optional.empty();
    }

    boolean isRejoining() {
        return rejoining.get();
    }

    /** For tests: makes the pause detector believe this member was stopped for {@code millis}. */
    void simulatePause(long millis) {
        lastTick.set(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private void rejoinAfterPause(long gapNanos) {
        rejoinAfterPause(gapNanos, transport.view());
    }

    private void rejoinAfterPause(long gapNanos, View pausedIn) {
        if (closed.getAsBoolean() || !membership.joined() || !rejoining.compareAndSet(false, true)) {
            return;
        }
        Member me = transport.self();
        LOG.warn("{} was paused for {} ms (a GC pause or SIGSTOP), longer than failureDetectionTimeout or long enough"
                + " for the others to exclude it: its copies may be stale, so it sets them aside, never to serve them, and"
                + " rejoins cluster {}", me, TimeUnit.NANOSECONDS.toMillis(gapNanos), config.clusterName());
        long awaySince = System.nanoTime() - gapNanos;
        transfers.execute(() -> {
            try {
                membership.forget();
                int setAside = installer.forgetAll(awaySince);
                LOG.debug("{} set {} records aside; its pulls take back those still current", me, setAside);
                awaitTakenBack(pausedIn);
                membership.join();
                LOG.info("{} rejoined cluster {} after a pause", me, config.clusterName());
            } catch (Exception e) {
                if (!closed.getAsBoolean()) {
                    LOG.error("{} could not rejoin cluster {} after a pause: {}", me, config.clusterName(), e.toString());
                }
            } finally {
                lastTick.set(System.nanoTime());
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
    private void awaitTakenBack(View pausedIn) throws InterruptedException {
        long started = System.nanoTime();
        long nextLog = started + TimeUnit.SECONDS.toNanos(30);
        Member me = transport.self();
        while (!closed.getAsBoolean()) {
            View now = transport.view();
            List<Member> view = transport.viewMembers();
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
}
