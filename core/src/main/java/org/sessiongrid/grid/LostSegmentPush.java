package org.sessiongrid.grid;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.KeptCopies;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.SegmentLoss;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.RestoreRecords;
import org.sessiongrid.wire.GridMessage.RestoreResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member back from an absence whose join named segments lost with it (every owner departed with it and the
 * segment restarted empty: {@link org.sessiongrid.wire.GridMessage.RejoinReply}) pushes its kept copies of those
 * segments to their primaries ({@link RestoreRecords}), which add each only where its key is unknown and replicate
 * what they add. Its copies are the newest there are of those sessions up to the loss, and after it the sessions
 * were unknown everywhere, so nothing acknowledged since is undone; a session created again under the same id, or
 * ended, keeps what the primary holds (see design.md, "The rejoin of a segment's only owner").
 *
 * <p>The copies pushed are the ones kept when the join was asked ({@link #capture}): a pull that releases kept
 * copies after the join does not release these, which stay referenced here until every push was answered or the
 * push gave up ({@code joinTimeout} after it began). Runs on the transfer executor, one push at a time per join.
 */
final class LostSegmentPush {

    private static final Logger LOG = LoggerFactory.getLogger(LostSegmentPush.class);

    private final GridConfig config;
    private final ClusterTransport transport;
    private final InstalledTopology installed;
    private final KeptCopies kept;
    private final Function<RestoreRecords, GridMessage> local;
    private final GridStats stats;
    private final Executor transfers;
    private final BooleanSupplier serving;

    /** The kept copies of each segment when a join was asked, and whether this member read from it when it set them aside. */
    record Captured(List<NavigableMap<SessionKey, SessionRecord>> segments, BitSet held) {

        /** The copies of {@code segments} alone: the others' are released with the kept copies, not held here. */
        Captured only(BitSet segments) {
            List<NavigableMap<SessionKey, SessionRecord>> part = new ArrayList<>(this.segments.size());
            for (int s = 0; s < this.segments.size(); s++) {
                part.add(segments.get(s) ? this.segments.get(s) : Collections.emptyNavigableMap());
            }
            return new Captured(part, held);
        }
    }

    /**
     * @param local   answers a push to this member as its primary (the replicator's restore)
     * @param serving true while this member is joined and not rejoining again: a push stops when it is not
     */
    LostSegmentPush(GridConfig config, ClusterTransport transport, InstalledTopology installed, KeptCopies kept,
                    Function<RestoreRecords, GridMessage> local, GridStats stats, Executor transfers,
                    BooleanSupplier serving) {
        this.config = config;
        this.transport = transport;
        this.installed = installed;
        this.kept = kept;
        this.local = local;
        this.stats = stats;
        this.transfers = transfers;
        this.serving = serving;
    }

    /** The kept copies as they are now, before a join whose answer may name segments lost with this member. */
    Captured capture() {
        List<NavigableMap<SessionKey, SessionRecord>> segments = new ArrayList<>(config.numSegments());
        BitSet held = new BitSet();
        for (int s = 0; s < config.numSegments(); s++) {
            segments.add(kept.segment(s));
            held.set(s, kept.heldWhenSetAside(s));
        }
        return new Captured(segments, held);
    }

    /** Pushes, on the transfer executor, the captured copies of the segments {@code loss} names. */
    void pushLater(SegmentLoss loss, Captured captured) {
        if (loss.isEmpty()) {
            return;
        }
        try {
            Captured lost = captured.only(loss.segments());
            transfers.execute(() -> push(loss, lost));
        } catch (RejectedExecutionException e) {
            LOG.debug("{} closed before pushing back the copies of segments lost with it", transport.self());
        }
    }

    private void push(SegmentLoss loss, Captured captured) {
        Member me = transport.self();
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(config.joinTimeout());
        BitSet lost = loss.segments();
        int segments = 0;
        int pushed = 0;
        int added = 0;
        int unpushed = 0;
        int notHeld = 0;
        for (int s = lost.nextSetBit(0); s >= 0 && s < captured.segments().size(); s = lost.nextSetBit(s + 1)) {
            List<SessionRecord> live = captured.segments().get(s).values().stream().filter(r -> !r.isEnded()).toList();
            if (live.isEmpty()) {
                continue;
            }
            if (!captured.held().get(s)) {
                // Copies of a segment it did not read from may miss acknowledged writes: not offered as the newest.
                notHeld++;
                continue;
            }
            segments++;
            for (int from = 0; from < live.size(); from += config.stateTransferChunkSize()) {
                List<SessionRecord> chunk = live.subList(from, Math.min(live.size(), from + config.stateTransferChunkSize()));
                int answered = unpushed > 0 ? -1 : pushChunk(s, chunk, deadline);
                if (answered < 0) {
                    unpushed += chunk.size();
                } else {
                    pushed += chunk.size();
                    added += answered;
                }
            }
        }
        stats.restoredLostRecords(added);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (unpushed == 0) {
            LOG.info("{} pushed back {} sessions of {} segments lost with it (restarted empty, the last in topology {})"
                    + " to their primaries in {} ms: {} were unknown there and are restored, {} were known (created"
                    + " again or ended since) and keep what the primary holds{}", me, pushed, segments,
                    loss.restartedIn(), millis, added, pushed - added,
                    notHeld == 0 ? "" : "; " + notHeld + " segments not pushed, not held whole when set aside");
        } else {
            LOG.warn("{} pushed back {} sessions of {} segments lost with it (restarted empty, the last in topology {})"
                    + " before it gave up after {} ms (joinTimeout={} ms, or it stopped serving): {} are restored, {}"
                    + " were known; {} kept copies not pushed stay lost", me, pushed, segments, loss.restartedIn(),
                    millis, config.joinTimeout(), added, pushed - added, unpushed);
        }
    }

    /**
     * Pushes {@code chunk} of {@code segment} to the segment's primary under the topology installed, again under
     * each newer one (a rebalance, the primary's departure: a second loss moves the segment to a live member) until
     * it is answered; the number the primary added, or -1 after {@code deadline} or once this member stops serving.
     */
    private int pushChunk(int segment, List<SessionRecord> chunk, long deadline) {
        while (serving.getAsBoolean() && System.nanoTime() - deadline < 0) {
            Topology t = installed.get();
            if (t != null) {
                GridMessage r = ask(t.primary(segment), new RestoreRecords(t.id(), chunk));
                if (r instanceof RestoreResult result) {
                    return result.added();
                }
                LOG.debug("{}: push of {} copies of lost segment {} under topology {} answered {}", transport.self(),
                        chunk.size(), segment, t.id(), r);
            }
            try {
                installed.awaitNewerThan(t == null ? 0 : t.id(), 200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    private GridMessage ask(Member primary, RestoreRecords push) {
        if (primary == null) {
            return new Failure("no primary");
        }
        if (primary.equals(transport.self())) {
            return local.apply(push);
        }
        try {
            return transport.request(primary, push, config.remoteTimeout())
                    .get(config.remoteTimeout() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            return new Failure(String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }
}
