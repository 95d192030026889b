package org.sessiongrid.replication;

import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Retry;

/**
 * Admits a request only under the topology it was planned under. Every request of the data path names the
 * topology its sender planned it under: a member on a newer topology answers {@link Retry}; a member on an
 * older one first waits briefly to catch up. Work is only ever done by members that agree on the topology, so
 * exactly one member is primary of a segment for any write it accepts.
 *
 * <p>Threading: called on any thread that handles a request, never on one that must not block (the wait for a
 * newer topology is {@link InstalledTopology#awaitAtLeast}). It holds no state of its own: the installed
 * topology is {@link InstalledTopology}'s, and a check here is only a snapshot: the roles check the id again
 * inside a change of the topology ({@link InstalledTopology#enterChange}).
 */
final class Fence {

    /** How long a member behind the sender's topology waits to catch up before answering retry. */
    private static final long WAIT_MILLIS = 2_000;

    private final InstalledTopology topology;
    private final LongConsumer catchUp;
    private final GridStats stats;

    Fence(InstalledTopology topology, LongConsumer catchUp, GridStats stats) {
        this.topology = topology;
        this.catchUp = catchUp;
        this.stats = stats;
    }

    /**
     * Null if the sender's topology id is ours (after waiting briefly for ours to reach it),
     * otherwise the {@link Retry} to answer.
     */
    GridMessage check(long senderTopologyId) {
        long mine = topology.id();
        if (senderTopologyId == mine) {
            return null;
        }
        if (senderTopologyId > mine) {
            try {
                Topology t = topology.awaitAtLeast(senderTopologyId,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS));
                mine = t == null ? 0 : t.id();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                mine = topology.id();
            }
            if (mine == senderTopologyId) {
                return null;
            }
            if (mine < senderTopologyId) {
                // Still behind: the topology update to this member may have been lost. Fetch it.
                catchUp.accept(senderTopologyId);
            }
        }
        stats.dropped("stale-topology");
        return new Retry(mine);
    }
}
