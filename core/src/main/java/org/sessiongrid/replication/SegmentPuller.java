package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of a rebalance: pulls, chunk by chunk, every segment this member gains in a
 * {@code READ_OLD_WRITE_ALL} topology from a current owner, then reports completion.
 *
 * <p>Writes keep flowing meanwhile and reach this member too (it is a write owner), so a pulled
 * record is stored only if it is newer than what is here: a write made during the pull always wins
 * over pulled data. A pull stops as soon as another topology is installed; the coordinator then
 * starts a new rebalance whose pull begins afresh (records already here are kept).
 *
 * <p>Segments are pulled {@value #PARALLEL_PULLS} at a time: each chunk is a round trip, most segments
 * fit in one chunk (many are empty), so one at a time left a joiner idle on the wire for seconds.
 */
public final class SegmentPuller {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentPuller.class);

    /** Segments pulled at once (each from its own source, so the sources share the load). */
    static final int PARALLEL_PULLS = 4;

    private final Supplier<Member> self;
    private final Messenger transport;
    private final InstalledTopology topology;
    private final RecordStore records;
    private final int chunkSize;
    private final long remoteTimeout;
    private final GridStats stats;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

    private final java.util.function.LongConsumer catchUp;
    private final Executor lanes;

    /**
     * @param catchUp called with a topology id that a source already works under while this member
     *                does not: the update may have been lost, so this member asks for it
     * @param lanes   runs the pulls beside the caller's (blocking tasks: not a fork/join pool)
     */
    public SegmentPuller(Supplier<Member> self, Messenger transport, InstalledTopology topology,
                         RecordStore records, int chunkSize, long remoteTimeout, GridStats stats,
                         java.util.function.LongConsumer catchUp, Executor lanes) {
        this.catchUp = catchUp;
        this.lanes = lanes;
        this.self = self;
        this.transport = transport;
        this.topology = topology;
        this.records = records;
        this.chunkSize = chunkSize;
        this.remoteTimeout = remoteTimeout;
        this.stats = stats;
    }

    /**
     * Pulls every segment this member gains under {@code t}. Returns true when all are here, false
     * if {@code t} was replaced meanwhile (the pull is then abandoned).
     */
    public boolean pull(Topology t) throws InterruptedException {
        List<Integer> segments = t.segmentsToPull(self.get());
        pending.set(segments.size());
        int n = Math.min(PARALLEL_PULLS, segments.size());
        List<CompletableFuture<Boolean>> others = new ArrayList<>();
        for (int lane = 1; lane < n; lane++) {
            int first = lane;
            others.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return pullLane(t, segments, first, n);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }, lanes));
        }
        boolean all = segments.isEmpty() || pullLane(t, segments, 0, n);
        for (CompletableFuture<Boolean> f : others) {
            // A lane that stops (topology replaced) makes the others stop at their next chunk too.
            all &= f.join();
        }
        if (all && !segments.isEmpty()) {
            LOG.debug("Pulled {} segments under topology {}", segments.size(), t.id());
        }
        return all;
    }

    /** Pulls segments {@code first}, {@code first + step}, ... of {@code segments}; false if {@code t} was replaced. */
    private boolean pullLane(Topology t, List<Integer> segments, int first, int step) throws InterruptedException {
        for (int i = first; i < segments.size(); i += step) {
            if (!pullSegment(t, segments.get(i))) {
                return false;
            }
            pending.decrementAndGet();
        }
        return true;
    }

    private boolean pullSegment(Topology t, int segment) throws InterruptedException {
        SessionKey after = null;
        int attempt = 0;
        int chunks = 0;
        long started = System.nanoTime();
        long nextReport = started + TimeUnit.MILLISECONDS.toNanos(3 * remoteTimeout);
        while (true) {
            if (topology.id() != t.id()) {
                return false;
            }
            if (System.nanoTime() - nextReport > 0) {
                // A pull that neither fails nor ends would otherwise stall its rebalance without a word.
                LOG.warn("Pull of segment {} under topology {} has taken {} ms: {} chunks received, {} failed or retried"
                        + " attempts, at key {}", segment, t.id(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                        chunks, attempt, after);
                nextReport = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * remoteTimeout);
            }
            Member source = sourceFor(t, segment, attempt);
            if (source == null) {
                // No current owner in this member's view: they died (the coordinator replaces this topology)
                // or this view lags behind (they reappear). Either way the segment is not here yet, and
                // reporting it pulled would let the rebalance finish without its data.
                topology.awaitNewerThan(t.id(), remoteTimeout, TimeUnit.MILLISECONDS);
                continue;
            }
            GridMessage reply;
            try {
                reply = transport.request(source, new StateRequest(t.id(), segment, after, chunkSize), remoteTimeout)
                        .get(remoteTimeout + 1_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                attempt++;
                if (attempt % 3 == 0) {
                    LOG.warn("Pull of segment {} under topology {} from {} keeps failing ({} attempts): {}", segment,
                            t.id(), source, attempt, String.valueOf(e.getCause() == null ? e : e.getCause()));
                }
                topology.awaitNewerThan(t.id(), Math.min(1_000L * attempt, 5_000), TimeUnit.MILLISECONDS);
                continue;
            }
            if (reply instanceof StateChunk chunk) {
                chunks++;
                int stored = 0;
                for (SessionRecord r : chunk.records()) {
                    if (records.putIfNewer(r)) {
                        stored++;
                    }
                    after = r.key();
                }
                stats.recordsTransferred(stored);
                if (chunk.last()) {
                    return true;
                }
            } else if (reply instanceof Retry r) {
                attempt++;
                if (r.topologyId() > t.id()) {
                    catchUp.accept(r.topologyId());
                }
                if (attempt % 20 == 0) {
                    LOG.warn("Pull of segment {} under topology {}: {} keeps asking to retry ({} attempts; it is at "
                            + "topology {})", segment, t.id(), source, attempt, r.topologyId());
                }
                topology.awaitNewerThan(t.id(), Math.min(100L * attempt, 2_000), TimeUnit.MILLISECONDS);
            } else {
                LOG.warn("Pull of segment {} from {} answered {}", segment, source, reply);
                attempt++;
                topology.awaitNewerThan(t.id(), Math.min(500L * attempt, 5_000), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Segments still to pull in the rebalance under way (0 when none). */
    public int pending() {
        return pending.get();
    }

    /** A current owner of the segment other than this member, in the view; rotates on failures. */
    private Member sourceFor(Topology t, int segment, int attempt) {
        List<Member> owners = t.current().owners(segment).stream()
                .filter(m -> !m.equals(self.get()) && transport.isInView(m)).toList();
        return owners.isEmpty() ? null : owners.get(attempt % owners.size());
    }
}
