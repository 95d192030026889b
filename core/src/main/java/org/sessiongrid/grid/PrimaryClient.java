package org.sessiongrid.grid;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongFunction;

import org.sessiongrid.expiry.AccessTimes;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.replication.MergeParticipant;
import org.sessiongrid.replication.Replicator;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.suspicion.Suspector;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.transport.MemberGoneException;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.WireCodec;

/**
 * The client side of calls to a session's primary: sends a request built for the installed topology to
 * the primary it names (or handles it here when this member is the primary), and retries across topology
 * changes until {@code remoteTimeout}; also collects the access times of the sessions used here and
 * sends them to their primaries in batches.
 *
 * <p>Thread safety: no state of its own beyond {@link AccessTimes} (thread-safe); calls run on the
 * callers' (request) threads, the access-time flush on the scheduler thread.
 */
final class PrimaryClient {

    private final GridConfig config;
    private final InstalledTopology installed;
    private final RecordStore records;
    private final ClusterTransport transport;
    private final Replicator replicator;
    private final MergeParticipant merge;
    private final GridStats stats;
    private final BooleanSupplier closed;
    private final Consumer<SessionKey> checkServing;
    private final Suspector suspector;
    private final AccessTimes accessTimes = new AccessTimes();

    /**
     * @param checkServing throws {@link GridUnavailableException} when this member must not serve the
     *                     session now (a refusing minority, a pause)
     * @param suspector    told of a primary that has not answered within {@code backupTimeout}
     */
    PrimaryClient(GridConfig config, InstalledTopology installed, RecordStore records, ClusterTransport transport,
                  Replicator replicator, MergeParticipant merge, GridStats stats, BooleanSupplier closed,
                  Consumer<SessionKey> checkServing, Suspector suspector) {
        this.config = config;
        this.installed = installed;
        this.records = records;
        this.transport = transport;
        this.replicator = replicator;
        this.merge = merge;
        this.stats = stats;
        this.closed = closed;
        this.checkServing = checkServing;
        this.suspector = suspector;
    }

    AccessTimes accessTimes() {
        return accessTimes;
    }

    /** As {@link #call(SessionKey, LongFunction, Class, long)} within {@code remoteTimeout}. */
    <T extends GridMessage> T call(SessionKey key, LongFunction<GridMessage> requestForTopology, Class<T> replyType) {
        return call(key, requestForTopology, replyType, 0);
    }

    /**
     * Sends the request built for the current topology to the key's primary (handling it here when
     * this member is the primary) and retries across topology changes until {@code remoteTimeout},
     * {@code extraMillis} more (a lock wait).
     */
    <T extends GridMessage> T call(SessionKey key, LongFunction<GridMessage> requestForTopology, Class<T> replyType,
                                   long extraMillis) {
        long timeout = config.remoteTimeout() + extraMillis;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        int segment = records.segmentOf(key);
        int attempt = 0;
        String last = "no topology";
        try {
            while (true) {
                if (closed.getAsBoolean()) {
                    throw new GridUnavailableException("SessionGrid member " + config.nodeName() + " is stopped");
                }
                checkServing.accept(key);
                Topology t = installed.get();
                Member primary = t == null ? null : t.primary(segment);
                GridMessage reply = null;
                if (primary != null) {
                    GridMessage request = requestForTopology.apply(t.id());
                    if (primary.equals(transport.self())) {
                        reply = handleLocally(request);
                    } else {
                        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                        try {
                            reply = await(transport.request(primary, request, left), primary, request, left + 500);
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

    /**
     * The primary's reply within {@code timeoutMillis}; a primary still silent after {@code backupTimeout} is
     * suspected once and waited for on: JGroups excludes it if it is silent (the request then fails with
     * {@link MemberGoneException} and is retried under the next topology), keeps it if it answers.
     *
     * <p>Not a primary that is waiting for a backup of its own: it suspects that backup itself and tells every
     * member so ({@link Suspector#waitsForAnotherNanos}), and this member waits on without suspecting it for as
     * long as that notice holds. Its notice leaves when its own backupTimeout is over, which began after this
     * member's (the request's way there, the primary's work before it replicates), so a primary silent after
     * backupTimeout gets half of it again for the notice to arrive before it is suspected.
     */
    private GridMessage await(CompletableFuture<GridMessage> reply, Member primary, GridMessage request,
                              long timeoutMillis) throws InterruptedException, ExecutionException, TimeoutException {
        long started = System.nanoTime();
        long deadline = started + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long quiet = config.backupTimeout();
        if (quiet < timeoutMillis) {
            try {
                return reply.get(quiet, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // not yet: see whether it waits for a backup of its own before suspecting it
            }
            long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(quiet / 2);
            while (true) {
                long now = System.nanoTime();
                long wait = Math.max(graceEnd - now, suspector.waitsForAnotherNanos(primary));
                if (wait <= 0 || deadline - now <= 0) {
                    break;
                }
                try {
                    return reply.get(Math.min(wait, deadline - now), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // the grace or the primary's notice ran out: look again
                }
            }
            suspector.suspect(primary, "no answer to a " + (request instanceof CommitRequest ? "commit" : "read")
                    + " within " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms (backupTimeout="
                    + quiet + "ms), and no word that it waits for a backup of its own");
        }
        return reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
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

    /** Sends the access times collected since the last flush to each session's primary. */
    void flushAccessTimes() {
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
        if (p.equals(transport.self())) {
            replicator.touch(batch);
            return;
        }
        transport.request(p, batch, config.remoteTimeout()).exceptionally(e -> {
            // Lost with a dying primary: put them back for the next flush, to the new primary.
            touches.forEach(x -> accessTimes.touched(x.key(), x.accessTime()));
            return null;
        });
    }
}
