package org.sessiongrid.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rebalance, after Infinispan's cluster topology manager: {@code READ_OLD_WRITE_ALL} with the target as
 * pending table; every member pulls what it gains and confirms; then {@code READ_NEW_WRITE_ALL}; then the target
 * becomes the current table ({@code NONE}) and old owners drop what they no longer own. One rebalance at a time;
 * whatever changed meanwhile is handled by the next, which every step that may have changed the members tries
 * ({@link #maybeStart}).
 *
 * <p>Graceful leaves are answered here: a leaving member stops counting as joined, a rebalance moves its segments
 * away while it still serves them, and its leave is answered when it owns nothing (or nobody else is left).
 *
 * <p>A rebalance still waiting for confirmations after {@code stallMillis} is logged with the members it waits
 * for, and those members are sent the topology again: a member whose view did not show this coordinator when it
 * was sent (views settle at different times after a heal) refused it, and would otherwise only learn it at its
 * next view change.
 *
 * <p>Confined to the coordinator thread, as every piece of the coordinator.
 */
final class RebalanceRounds {

    /** The coordinator's decisions are one stream of log lines, under one name, whichever piece makes them. */
    private static final Logger LOG = LoggerFactory.getLogger(TopologyCoordinator.class);

    private final CoordinatorState state;
    private final long stallMillis;

    private final Set<Member> confirmed = new HashSet<>();
    private final Map<Member, CompletableFuture<Void>> leaving = new HashMap<>();
    private long rebalanceStartNanos;
    /** When the running rebalance started or was last found waiting (nanoTime). */
    private long lastStallCheckNanos;

    RebalanceRounds(CoordinatorState state, long stallMillis) {
        this.state = state;
        this.stallMillis = stallMillis;
    }

    /** Starts a rebalance if none runs and the joined members' target differs from the current table. */
    void maybeStart() {
        Topology topology = state.topology();
        if (!state.active() || topology == null || topology.isRebalancing()) {
            return;
        }
        Set<Member> live = state.live();
        List<Member> targetMembers = new ArrayList<>();
        for (Member m : state.joined) {
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
                state.departedShares.hintFor(targetMembers, state.counts.empty()));
        if (target.equals(topology.current())) {
            state.departedShares.settled(topology.current());
            state.lostShares.settled(topology.current());
            return;
        }
        confirmed.clear();
        rebalanceStartNanos = System.nanoTime();
        lastStallCheckNanos = rebalanceStartNanos;
        int moves = target.slotsAddedComparedTo(topology.current());
        state.install(new Topology(topology.id() + 1, Phase.READ_OLD_WRITE_ALL, topology.numOwners(),
                topology.current(), target));
        LOG.info("Rebalance of cluster {} started: topology {}, {} members, {} segment copies to transfer",
                state.clusterName, state.topology().id(), targetMembers.size(), moves);
    }

    /**
     * Counts a member's confirmation. True when this coordinator is the one running that rebalance (or
     * has moved past it, so the member need not confirm again); false when it does not know the
     * topology: a member whose view lags sent it to the wrong coordinator and must send it again.
     */
    boolean confirm(Member m, long topologyId) {
        Topology topology = state.topology();
        if (!state.active() || topology == null || topology.id() < topologyId) {
            return false;
        }
        if (topology.id() != topologyId || topology.phase() != Phase.READ_OLD_WRITE_ALL) {
            return true;
        }
        confirmed.add(m);
        Set<Member> live = state.live();
        for (Member needed : topology.members()) {
            if (live.contains(needed) && !confirmed.contains(needed)) {
                return true;
            }
        }
        Topology readNew = new Topology(topology.id() + 1, Phase.READ_NEW_WRITE_ALL, topology.numOwners(),
                topology.current(), topology.pending());
        state.install(readNew);
        state.install(new Topology(readNew.id() + 1, Phase.NONE, readNew.numOwners(), readNew.pending(), null));
        LOG.info("Rebalance of cluster {} finished: topology {} in {} ms", state.clusterName, state.topology().id(),
                (System.nanoTime() - rebalanceStartNanos) / 1_000_000);
        state.stats.rebalanceCompleted();
        answerLeaves();
        maybeStart();
        return true;
    }

    /** Sends the running rebalance's topology again to the members it still waits for after {@code stallMillis}. */
    void checkStalled() {
        Topology topology = state.topology();
        if (!state.active() || topology == null || topology.phase() != Phase.READ_OLD_WRITE_ALL) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastStallCheckNanos < TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
            return;
        }
        lastStallCheckNanos = now;
        Set<Member> live = state.live();
        List<Member> waitingFor = topology.members().stream().filter(m -> live.contains(m) && !confirmed.contains(m))
                .toList();
        if (waitingFor.isEmpty()) {
            return;
        }
        LOG.warn("Rebalance of cluster {} (topology {}) has waited {} ms for confirmations from {}: sending them the "
                + "topology again", state.clusterName, topology.id(),
                TimeUnit.NANOSECONDS.toMillis(now - rebalanceStartNanos), waitingFor);
        state.ctx.resend(topology, waitingFor);
    }

    /** A member leaves gracefully: {@code done} completes when its segments are owned by others. */
    void leave(Member m, CompletableFuture<Void> done) {
        if (!state.active()) {
            done.completeExceptionally(new IllegalStateException("not the coordinator"));
            return;
        }
        state.joined.remove(m);
        leaving.put(m, done);
        LOG.info("{} leaves cluster {} gracefully: handing its segments over first", m, state.clusterName);
        maybeStart();
        answerLeaves();
    }

    /** This member no longer coordinates: no confirmation counts, and no leave can be answered here. */
    void stepDown() {
        confirmed.clear();
        leaving.values().forEach(f -> f.completeExceptionally(new IllegalStateException("coordinator changed")));
        leaving.clear();
    }

    private void answerLeaves() {
        Topology topology = state.topology();
        for (Iterator<Map.Entry<Member, CompletableFuture<Void>>> it = leaving.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Member, CompletableFuture<Void>> e = it.next();
            boolean stillOwner = topology != null && topology.members().contains(e.getKey());
            boolean othersJoined = state.joined.stream().anyMatch(j -> !j.equals(e.getKey()));
            if (!stillOwner || !othersJoined) {
                e.getValue().complete(null);
                it.remove();
            }
        }
    }
}
