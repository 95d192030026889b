package org.sessiongrid.grid;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.protocols.FailureDetection;
import org.jgroups.stack.Protocol;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.threads.MemberThreads;
import org.sessiongrid.topology.InstalledTopology;
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
 * So it refuses requests, drops its copies and joins again as a member without data (the coordinator
 * first removes it from the tables, as after a crash).
 *
 * <p>Thread safety: the clock is read every {@value #TICK_MILLIS} ms on its own thread
 * ({@code sessiongrid-<member>-pause-detector}), so that a scheduler task that blocks (an expiry waiting
 * for a slow backup) does not look like a pause of the whole member; {@link #lastTickNanos} is volatile
 * (also read by request threads); {@link #rejoining} lets one rejoin run at a time, on the transfer
 * executor.
 */
final class PauseDetector {

    private static final Logger LOG = LoggerFactory.getLogger(PauseDetector.class);

    /** How often the pause detector looks at the clock. */
    static final long TICK_MILLIS = 200;

    private final GridConfig config;
    private final long thresholdNanos;
    private final ClusterTransport transport;
    private final InstalledTopology installed;
    private final TopologyInstaller installer;
    private final Membership membership;
    private final Executor transfers;
    private final BooleanSupplier closed;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean rejoining = new AtomicBoolean();
    private volatile long lastTickNanos = System.nanoTime();

    PauseDetector(GridConfig config, JChannel channel, ClusterTransport transport, InstalledTopology installed,
                  TopologyInstaller installer, Membership membership, Executor transfers, BooleanSupplier closed) {
        this.config = config;
        this.thresholdNanos = failureDetectionNanos(channel);
        this.transport = transport;
        this.installed = installed;
        this.installer = installer;
        this.membership = membership;
        this.transfers = transfers;
        this.closed = closed;
        this.ticker = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(config.nodeName(), "pause-detector"));
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
        lastTickNanos = System.nanoTime();
        ticker.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    void stop() {
        ticker.shutdownNow();
    }

    private void tick() {
        long now = System.nanoTime();
        long gap = now - lastTickNanos;
        lastTickNanos = now;
        if (gap > thresholdNanos) {
            rejoinAfterPause(gap);
        }
    }

    /** Throws if this member was paused (and so may hold stale copies) or is rejoining after one. */
    void checkNotPaused(SessionKey key) {
        long gap = System.nanoTime() - lastTickNanos;
        if (gap > thresholdNanos) {
            rejoinAfterPause(gap);
        }
        if (rejoining.get()) {
            throw new GridUnavailableException("session " + key + " refused: SessionGrid member " + config.nodeName()
                    + " was paused longer than failureDetectionTimeout, so the cluster may have moved on without it;"
                    + " it dropped its copies and is rejoining");
        }
    }

    /** True while the clock says this member is paused right now (its ticks are overdue). */
    boolean pausedNow() {
        return System.nanoTime() - lastTickNanos > thresholdNanos;
    }

    /** Why this member refuses requests because of a pause, or empty when it was not paused. */
    Optional<String> refusal() {
        return rejoining.get() || pausedNow()
                ? Optional.of("paused longer than failureDetectionTimeout; it drops its copies and rejoins")
                : Optional.empty();
    }

    boolean isRejoining() {
        return rejoining.get();
    }

    /** For tests: makes the pause detector believe this member was stopped for {@code millis}. */
    void simulatePause(long millis) {
        lastTickNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private void rejoinAfterPause(long gapNanos) {
        if (closed.getAsBoolean() || !membership.joined() || !rejoining.compareAndSet(false, true)) {
            return;
        }
        Member me = transport.self();
        LOG.warn("{} was paused for {} ms, longer than failureDetectionTimeout (a GC pause or SIGSTOP): its copies may be"
                + " stale, so it drops them and rejoins cluster {}", me, TimeUnit.NANOSECONDS.toMillis(gapNanos),
                config.clusterName());
        View pausedIn = transport.view();
        transfers.execute(() -> {
            try {
                membership.forget();
                installer.forgetAll();
                awaitTakenBack(pausedIn);
                membership.join();
                LOG.info("{} rejoined cluster {} after a pause", me, config.clusterName());
            } catch (Exception e) {
                if (!closed.getAsBoolean()) {
                    LOG.error("{} could not rejoin cluster {} after a pause: {}", me, config.clusterName(), e.toString());
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
