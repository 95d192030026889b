package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.KeptCopies;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CopyStamp;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.RestoreResult;
import org.sessiongrid.wire.GridMessage.ReturnCopies;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateDiff;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.Touch;
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
 * <p>A catch-up: a segment of which this member kept copies from before an absence ({@link KeptCopies}) is
 * pulled with a digest of them ({@link StateDigest}), and the source sends only what differs ({@link StateDiff}).
 * A kept copy returns to the store only once the source's answer says it is current, and only as a pulled record
 * would ({@link RecordStore#putIfNewer}); one that changed or ended meanwhile never does. A source that does not
 * know digests (an older version answers {@link Failure}) is asked for whole chunks for the rest of the pull.
 *
 * <p>Segments are pulled {@value #PARALLEL_PULLS} at a time: each chunk is a round trip, most segments
 * fit in one chunk (many are empty), so one at a time left a joiner idle on the wire for seconds.
 */
public final class SegmentPuller {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentPuller.class);

    /** Segments pulled at once (each from its own source, so the sources share the load). */
    static final int PARALLEL_PULLS = 4;

    /** How many unanswered returns of newer kept copies a pull waits for before it goes on without them. */
    static final int RETURN_ATTEMPTS = 3;

    /** The most kept copies one {@link StateDigest} names (about 80 bytes each). */
    static final int DIGEST_STAMPS = 1024;

    private final Supplier<Member> self;
    private final Messenger transport;
    private final InstalledTopology topology;
    private final RecordStore records;
    private final KeptCopies kept;
    private final int chunkSize;
    private final long remoteTimeout;
    private final GridStats stats;
    private final AtomicInteger pending = new AtomicInteger();
    private final LongConsumer catchUp;
    private final Executor lanes;
    private final Function<ReturnCopies, GridMessage> returnHere;

    /**
     * @param catchUp called with a topology id that a source already works under while this member
     *                does not: the update may have been lost, so this member asks for it
     * @param lanes   runs the pulls beside the caller's (blocking tasks: not a fork/join pool)
     * @param returnHere handles a {@link ReturnCopies} on this member when it is the segment's primary
     */
    public SegmentPuller(Supplier<Member> self, Messenger transport, InstalledTopology topology,
                         RecordStore records, int chunkSize, long remoteTimeout, GridStats stats,
                         LongConsumer catchUp, Executor lanes, Function<ReturnCopies, GridMessage> returnHere) {
        this.catchUp = catchUp;
        this.lanes = lanes;
        this.returnHere = returnHere;
        this.self = self;
        this.transport = transport;
        this.topology = topology;
        this.records = records;
        this.kept = records.kept();
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
        Tally tally = new Tally();
        int n = Math.min(PARALLEL_PULLS, segments.size());
        List<CompletableFuture<Boolean>> others = new ArrayList<>();
        for (int lane = 1; lane < n; lane++) {
            int first = lane;
            others.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return pullLane(t, segments, first, n, tally);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }, lanes));
        }
        boolean all = segments.isEmpty() || pullLane(t, segments, 0, n, tally);
        for (CompletableFuture<Boolean> f : others) {
            // A lane that stops (topology replaced) makes the others stop at their next chunk too.
            all &= f.join();
        }
        if (all && !segments.isEmpty()) {
            LOG.debug("Pulled {} segments under topology {}", segments.size(), t.id());
        }
        if (all) {
            tally.report(self.get(), kept.awaySinceNanos());
            // What this rebalance did not give back to this member is not its to keep.
            kept.clear();
        }
        return all;
    }

    /** Pulls segments {@code first}, {@code first + step}, ... of {@code segments}; false if {@code t} was replaced. */
    private boolean pullLane(Topology t, List<Integer> segments, int first, int step, Tally tally)
            throws InterruptedException {
        for (int i = first; i < segments.size(); i += step) {
            if (!pullSegment(t, segments.get(i), tally)) {
                return false;
            }
            pending.decrementAndGet();
        }
        return true;
    }

    private boolean pullSegment(Topology t, int segment, Tally tally) throws InterruptedException {
        NavigableMap<SessionKey, SessionRecord> copies = kept.segment(segment);
        List<SessionRecord> newer = new ArrayList<>();
        if (!copies.isEmpty()) {
            tally.segmentsHeld.increment();
        }
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
            Member source = sourceFor(t, segment, attempt, tally);
            if (source == null) {
                // No current owner in this member's view: they died (the coordinator replaces this topology)
                // or this view lags behind (they reappear). Either way the segment is not here yet, and
                // reporting it pulled would let the rebalance finish without its data.
                topology.awaitNewerThan(t.id(), remoteTimeout, TimeUnit.MILLISECONDS);
                continue;
            }
            boolean digest = !copies.isEmpty() && !tally.withoutDigests.contains(source);
            GridMessage request = digest ? digest(t, segment, after, copies)
                    : new StateRequest(t.id(), segment, after, chunkSize);
            GridMessage reply;
            try {
                reply = transport.request(source, request, remoteTimeout).get(remoteTimeout + 1_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                attempt++;
                if (tally.unanswering.add(source)) {
                    LOG.warn("{} did not answer a pull of segment {} under topology {} ({}): the other owners are asked"
                            + " first for the rest of this transfer", source, segment, t.id(),
                            String.valueOf(e.getCause() == null ? e : e.getCause()));
                }
                if (attempt % 3 == 0) {
                    LOG.warn("Pull of segment {} under topology {} from {} keeps failing ({} attempts): {}", segment,
                            t.id(), source, attempt, String.valueOf(e.getCause() == null ? e : e.getCause()));
                }
                topology.awaitNewerThan(t.id(), Math.min(1_000L * attempt, 5_000), TimeUnit.MILLISECONDS);
                continue;
            }
            tally.unanswering.remove(source);
            if ((reply instanceof StateChunk || reply instanceof StateDiff) && !topology.enterChange(t.id())) {
                // Stored only as a change of t: a rejoin that sets this member's records aside meanwhile waits for
                // changes in progress, and no pulled record or kept copy may land in the store after it.
                return false;
            }
            if (reply instanceof StateChunk chunk) {
                chunks++;
                int stored = 0;
                try {
                    for (SessionRecord r : chunk.records()) {
                        if (records.putIfNewer(r)) {
                            stored++;
                        }
                        after = r.key();
                    }
                } finally {
                    topology.exitChange();
                }
                stats.recordsTransferred(stored);
                if (copies.isEmpty()) {
                    tally.receivedNew.add(stored);
                } else {
                    tally.received.add(stored);
                    tally.sources.add(source);
                }
                if (chunk.last()) {
                    kept.release(segment);
                    return true;
                }
            } else if (reply instanceof StateDiff diff) {
                chunks++;
                try {
                    apply(diff, after, copies, source, tally, newer);
                } finally {
                    topology.exitChange();
                }
                if (diff.last()) {
                    kept.release(segment);
                    return returnNewer(t, segment, newer, tally);
                }
                after = diff.through();
            } else if (digest && reply instanceof Failure f) {
                // A member of a version without digests cannot decode one and answers so: whole chunks from it.
                if (tally.withoutDigests.add(source)) {
                    LOG.info("{} does not answer catch-up digests ({}): what {} pulls from it comes whole", source,
                            f.message(), self.get());
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

    /** The digest of the kept copies above {@code after}, at most {@value #DIGEST_STAMPS} of them. */
    private StateDigest digest(Topology t, int segment, SessionKey after, NavigableMap<SessionKey, SessionRecord> copies) {
        List<CopyStamp> stamps = new ArrayList<>();
        SessionKey through = null;
        for (SessionRecord r : (after == null ? copies : copies.tailMap(after, false)).values()) {
            if (stamps.size() == DIGEST_STAMPS) {
                through = stamps.get(stamps.size() - 1).key();
                break;
            }
            stamps.add(CopyStamp.of(r));
        }
        return new StateDigest(t.id(), segment, after, chunkSize, stamps, through);
    }

    /**
     * Stores what a {@link StateDiff} settles: the records it carries, then the kept copies of its range that it
     * says are current (with their later access times), each only if newer than what a write meanwhile stored here.
     */
    private void apply(StateDiff diff, SessionKey after, NavigableMap<SessionKey, SessionRecord> copies, Member source,
                       Tally tally, List<SessionRecord> newer) {
        Set<SessionKey> sent = new HashSet<>();
        int stored = 0;
        for (SessionRecord r : diff.records()) {
            sent.add(r.key());
            if (records.putIfNewer(r)) {
                stored++;
            }
            SessionRecord copy = copies.get(r.key());
            if (copy != null && RecordStore.merged(copy, r).version() > r.version()) {
                // A write this member acknowledged while apart that the source never saw: the primary decides.
                newer.add(copy);
            }
        }
        stats.recordsTransferred(stored);
        Set<SessionKey> gone = new HashSet<>(diff.gone());
        Map<SessionKey, Long> touched = new HashMap<>();
        for (Touch touch : diff.touches()) {
            touched.merge(touch.key(), touch.accessTime(), Math::max);
        }
        NavigableMap<SessionKey, SessionRecord> settled = after == null ? copies : copies.tailMap(after, false);
        if (!diff.last()) {
            settled = settled.headMap(diff.through(), true);
        }
        int current = 0;
        for (SessionRecord copy : settled.values()) {
            if (sent.contains(copy.key()) || gone.contains(copy.key())) {
                continue;
            }
            Long accessed = touched.get(copy.key());
            records.putIfNewer(accessed == null || accessed <= copy.meta().lastAccessedTime() ? copy
                    : copy.withMeta(copy.meta().withLastAccessedTime(accessed), copy.version()));
            current++;
        }
        tally.received.add(stored);
        tally.current.add(current);
        tally.gone.add(gone.size());
        tally.sources.add(source);
    }

    /**
     * Returns {@code newer} (kept copies of {@code segment} that win over what the source sent, by the merge rule) to
     * the segment's primary under {@code t}, which keeps each that still wins there and replicates it
     * ({@link ReturnCopies}). The pull does not end before that, so the rebalance does not finish with the writes
     * this member acknowledged while apart left out; it is asked again while the primary answers {@link Retry}
     * under {@code t} (up to ten times {@value #RETURN_ATTEMPTS}) or does not answer (up to {@value #RETURN_ATTEMPTS}
     * times; then one WARN line and the pull goes on), and
     * abandoned (false) when another topology replaces {@code t}.
     */
    private boolean returnNewer(Topology t, int segment, List<SessionRecord> newer, Tally tally)
            throws InterruptedException {
        if (newer.isEmpty()) {
            return true;
        }
        ReturnCopies push = new ReturnCopies(t.id(), newer);
        for (int attempt = 1; ; attempt++) {
            if (topology.id() != t.id()) {
                return false;
            }
            Member primary = t.primary(segment);
            GridMessage reply;
            try {
                reply = primary == null ? null : primary.equals(self.get()) ? returnHere.apply(push)
                        : transport.request(primary, push, remoteTimeout).get(remoteTimeout + 1_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                reply = null;
            }
            if (reply instanceof RestoreResult r) {
                tally.returned.add(r.added());
                return true;
            }
            if (reply instanceof Failure f) {
                LOG.warn("{} could not return {} kept copies of segment {} newer than the others' to {}: {}",
                        self.get(), newer.size(), segment, primary, f.message());
                return true;
            }
            if (attempt >= (reply == null ? RETURN_ATTEMPTS : 10 * RETURN_ATTEMPTS)) {
                // A primary of an older version drops the message as malformed; the pull must not wait for it forever.
                LOG.warn("{} gives up returning {} kept copies of segment {} newer than the others' to {} after {}"
                        + " attempts (last answer: {}; a member of an older version does not know the message): the"
                        + " writes they hold are not in the cluster", self.get(), newer.size(), segment, primary, attempt,
                        reply == null ? "none" : reply);
                return true;
            }
            topology.awaitNewerThan(t.id(), Math.min(200L * attempt, 2_000), TimeUnit.MILLISECONDS);
        }
    }

    /** Segments still to pull in the rebalance under way (0 when none). */
    public int pending() {
        return pending.get();
    }

    /** A current owner of the segment other than this member, in the view; rotates on failures. */
    /**
     * The owner of {@code segment} to ask on attempt {@code attempt}: the owners in turn, primary first, leaving
     * out those that let a request of this transfer go unanswered while another owner is left. Every segment
     * starts at attempt 0, so a silent primary would otherwise cost each of its segments a whole timeout.
     */
    private Member sourceFor(Topology t, int segment, int attempt, Tally tally) {
        List<Member> owners = t.current().owners(segment).stream()
                .filter(m -> !m.equals(self.get()) && transport.isInView(m)).toList();
        if (!tally.unanswering.isEmpty()) {
            List<Member> answering = owners.stream().filter(m -> !tally.unanswering.contains(m)).toList();
            if (!answering.isEmpty()) {
                owners = answering;
            }
        }
        return owners.isEmpty() ? null : owners.get(attempt % owners.size());
    }

    /** What one pull did with the kept copies, summed over its lanes; reported once when the pull ends. */
    private final class Tally {
        final LongAdder segmentsHeld = new LongAdder();
        final LongAdder received = new LongAdder();
        final LongAdder receivedNew = new LongAdder();
        final LongAdder current = new LongAdder();
        final LongAdder gone = new LongAdder();
        /** Kept copies newer than the source's that their primaries kept ({@link ReturnCopies}). */
        final LongAdder returned = new LongAdder();
        final Set<Member> sources = ConcurrentHashMap.newKeySet();
        final Set<Member> withoutDigests = ConcurrentHashMap.newKeySet();
        /** Owners that let a request of this transfer go unanswered and have not answered one since. */
        final Set<Member> unanswering = ConcurrentHashMap.newKeySet();

        /** One line and the metrics for a pull of segments this member kept copies of; nothing otherwise. */
        void report(Member me, long awaySinceNanos) {
            if (segmentsHeld.sum() == 0) {
                return;
            }
            long currentCopies = current.sum();
            long travelled = received.sum();
            stats.caughtUp(currentCopies);
            String away = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - awaySinceNanos) / 1e9);
            String whole = withoutDigests.isEmpty() ? ""
                    : " (" + withoutDigests + " answered no digest, an older version: from it they came whole)";
            LOG.info("{} caught up {} of {} records of the {} segments it held before, from {}, after {} s away: {} kept"
                    + " copies were current, {} had ended, {} newer than the others' were kept by their primaries{};"
                    + " {} records of segments new to it came whole", me, travelled, travelled + currentCopies,
                    segmentsHeld.sum(), sources, away, currentCopies, gone.sum(), returned.sum(), whole,
                    receivedNew.sum());
        }
    }
}
