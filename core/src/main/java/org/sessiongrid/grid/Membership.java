package org.sessiongrid.grid;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.jgroups.MergeView;
import org.jgroups.View;
import org.sessiongrid.placement.Member;
import org.sessiongrid.replication.SegmentPuller;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.JoinDecision;
import org.sessiongrid.topology.SegmentLoss;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.topology.TopologyCoordinator;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.JoinReply;
import org.sessiongrid.wire.GridMessage.JoinRequest;
import org.sessiongrid.wire.GridMessage.LeaveRequest;
import org.sessiongrid.wire.GridMessage.RebalanceConfirm;
import org.sessiongrid.wire.GridMessage.RejoinReply;
import org.sessiongrid.wire.GridMessage.RejoinRequest;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's side of the coordinator's protocol, after JGroups' client and participant roles: it asks
 * to join and to leave, pulls what it gains in a rebalance and confirms it, catches up with a topology it
 * missed, and passes views on to the coordinator role. The coordinator is this member's
 * {@link TopologyCoordinator} when the view names it first, otherwise the view's first member, reached by
 * message.
 *
 * <p>Thread safety: {@link #joined} is volatile, written by the joining thread and by {@link #forget};
 * {@link #catchingUp} lets one catch-up run at a time; everything else is immutable. Joins run on the
 * caller's thread (a container's start, a rejoin); pulls and catch-ups on the transfer executor.
 */
final class Membership {

    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final GridConfig config;
    private final ClusterTransport transport;
    private final TopologyCoordinator coordinator;
    private final InstalledTopology installed;
    private final TopologyInstaller installer;
    private final SegmentPuller puller;
    private final LostSegmentPush lostPush;
    private final Executor transfers;
    private final BooleanSupplier closed;
    private final AtomicBoolean catchingUp = new AtomicBoolean();
    private volatile boolean joined;

    Membership(GridConfig config, ClusterTransport transport, TopologyCoordinator coordinator,
               InstalledTopology installed, TopologyInstaller installer, SegmentPuller puller,
               LostSegmentPush lostPush, Executor transfers, BooleanSupplier closed) {
        this.config = config;
        this.transport = transport;
        this.coordinator = coordinator;
        this.installed = installed;
        this.installer = installer;
        this.puller = puller;
        this.lostPush = lostPush;
        this.transfers = transfers;
        this.closed = closed;
    }

    /** True from an accepted join until {@link #forget}. */
    boolean joined() {
        return joined;
    }

    /** This member no longer counts as joined (it stops, or drops its copies to rejoin). */
    void forget() {
        joined = false;
    }

    private Member self() {
        return transport.self();
    }

    /**
     * Asks the coordinator to take this member in; returns once accepted and a topology is installed. A member
     * that set its copies aside names the segments it kept ({@link RejoinRequest}), so that whichever member
     * coordinates gives it those back; a coordinator that cannot read that (an older version answers
     * {@link Failure}) is asked with a plain {@link JoinRequest}. A coordinator that answers {@link RejoinReply}
     * names the kept segments lost with this member: once joined, it pushes its kept copies of them back
     * ({@link LostSegmentPush}).
     */
    void join() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.joinTimeout());
        String lastProblem = "no answer";
        BitSet kept = installer.keptSegments();
        boolean nameKept = !kept.isEmpty();
        // Before the join: a pull that follows it may release kept copies the answer names as lost.
        LostSegmentPush.Captured captured = nameKept ? lostPush.capture() : null;
        while (System.nanoTime() < deadline) {
            Member coord = transport.viewMembers().get(0);
            JoinDecision d;
            try {
                if (coord.equals(self())) {
                    d = coordinator.join(self(), config.numSegments(), config.numOwners(), nameKept ? kept : null)
                            .get(config.remoteTimeout(), TimeUnit.MILLISECONDS);
                } else {
                    GridMessage ask = nameKept ? new RejoinRequest(config.numSegments(), config.numOwners(), kept)
                            : new JoinRequest(config.numSegments(), config.numOwners());
                    GridMessage r = transport.request(coord, ask, config.remoteTimeout())
                            .get(config.remoteTimeout() + 1_000, TimeUnit.MILLISECONDS);
                    if (nameKept && r instanceof Failure f) {
                        LOG.info("{} asks {} to join without naming the {} segments it kept copies of: {} answered {}"
                                + " (a version without rejoin requests)", self(), coord, kept.cardinality(), coord,
                                f.message());
                        nameKept = false;
                        continue;
                    }
                    d = r instanceof JoinReply jr ? new JoinDecision(jr.accepted(), jr.reason(), jr.topology())
                            : r instanceof RejoinReply rr ? new JoinDecision(rr.accepted(), rr.reason(), rr.topology(),
                                    new SegmentLoss(rr.lostSegments(), rr.lostInTopology()))
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
                installer.install(d.topology(), coord);
                joined = true;
                LOG.info("{} joined cluster {} ({} members, topology {})", self(), config.clusterName(),
                        transport.viewMembers().size(), installed.id());
                if (nameKept) {
                    lostPush.pushLater(d.lost(), captured);
                }
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

    /** Asks the coordinator to move this member's segments to the others; returns when it did or gave up. */
    void leave() {
        if (!joined) {
            return;
        }
        if (transport.viewMembers().size() <= 1) {
            LOG.info("{} leaves cluster {} as its last member: the sessions it holds end with it", self(),
                    config.clusterName());
            return;
        }
        Member coord = transport.viewMembers().get(0);
        long start = System.nanoTime();
        try {
            if (coord.equals(self())) {
                coordinator.leave(self()).get(config.leaveTimeout(), TimeUnit.MILLISECONDS);
            } else {
                GridMessage r = transport.request(coord, new LeaveRequest(), config.leaveTimeout())
                        .get(config.leaveTimeout() + 1_000, TimeUnit.MILLISECONDS);
                if (!(r instanceof Ack)) {
                    LOG.warn("{} left cluster {} without handing over its segments: coordinator answered {}", self(),
                            config.clusterName(), r);
                    return;
                }
            }
            LOG.info("{} left cluster {} gracefully: its segments were handed over in {} ms", self(),
                    config.clusterName(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("{} left cluster {} before its segments were handed over (leaveTimeout={} ms): {}", self(),
                    config.clusterName(), config.leaveTimeout(), String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    /** A new JGroups view: logged, passed to the coordinator role, and a reason to catch up. */
    void onView(View view) {
        if (closed.getAsBoolean()) {
            return;
        }
        List<Member> members = transport.viewMembers();
        LOG.info("View {} of cluster {}: {} members {}", view.getViewId().getId(), config.clusterName(), members.size(),
                members);
        coordinator.onView(members, view instanceof MergeView);
        if (joined && !members.isEmpty() && !members.get(0).equals(self())) {
            // Topology updates from a coordinator this member did not see yet were refused: ask for
            // the coordinator's topology now that it is in the view.
            transfers.execute(() -> catchUp(installed.id() + 1));
        }
    }

    /**
     * Another member works under topology {@code id} and this one has not installed it: the update
     * may have been lost (a view change in flight). Asks the coordinator for its topology, once at a
     * time, so a lost update cannot leave this member behind for good.
     */
    void catchUp(long id) {
        if (closed.getAsBoolean() || !catchingUp.compareAndSet(false, true)) {
            return;
        }
        List<Member> view = transport.viewMembers();
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
                    installer.install(s.topology(), coord);
                }
            } finally {
                catchingUp.set(false);
            }
        }, transfers);
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

    /**
     * Pulls what this member gains under rebalance topology {@code t}, then confirms it to {@code decidedBy},
     * the member that sent the topology: a confirmation goes back to that member, not to whoever this
     * member's view names first (a view that lags behind would name a coordinator that is already gone).
     * Runs on the transfer executor.
     */
    void pullAndConfirm(Topology t, Member decidedBy) {
        try {
            if (!puller.pull(t)) {
                return;
            }
            // Confirm to the member that decided the rebalance while it is in the view (a view that lags
            // behind the coordinator's may not show it yet: then the view's first member, which takes
            // it only if it runs that rebalance), and again until one takes it or another topology
            // replaces this one.
            int attempt = 0;
            while (!closed.getAsBoolean() && installed.id() == t.id()) {
                List<Member> view = transport.viewMembers();
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
            if (!closed.getAsBoolean()) {
                LOG.warn("Segment transfer under topology {} failed: {}", t.id(), e.toString());
            }
        }
    }
}
