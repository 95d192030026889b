package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.suspicion.Suspector;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.MemberGoneException;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.Touch;
import org.sessiongrid.wire.GridMessage.TouchBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A primary's link to its backups: which owners a change goes to, sending it and waiting for every answer
 * (sync), sending it without waiting (async), and re-sending an honoured announcement until each backup took it.
 *
 * <ul>
 * <li><b>A backup behind the base version gets the whole record.</b> A backup applies a change only onto
 * exactly its base version; otherwise it answers not applied, and this sends the whole record, which the backup
 * takes as authoritative.</li>
 * <li><b>A silent backup is suspected, never skipped.</b> A backup that has not answered within
 * {@code backupTimeout} is suspected ({@link Suspector}); the wait goes on until it answers or the view leaves
 * it out, then ends as when a backup leaves mid-write (retried under the next topology).</li>
 * </ul>
 *
 * <p>Threading: thread-safe, with no mutable state of its own. {@link #replicate} waits on the caller's thread,
 * which holds the session's key lock (see {@link PrimaryRole}); the async sends and the re-sends continue on the
 * threads that complete the replies and on {@link CompletableFuture#delayedExecutor}'s, holding no lock.
 */
final class BackupSender {

    private static final Logger LOG = LoggerFactory.getLogger(BackupSender.class);

    private static final long RESEND_PAUSE_MILLIS = 250;

    private final Messenger messenger;
    private final InstalledTopology topology;
    private final RecordStore records;
    private final GridStats stats;
    private final long remoteTimeout;
    private final long backupTimeoutNanos;
    private final Suspector suspector;

    BackupSender(Messenger messenger, InstalledTopology topology, RecordStore records, GridStats stats,
                 long remoteTimeoutMillis, long backupTimeoutMillis, Suspector suspector) {
        this.messenger = messenger;
        this.topology = topology;
        this.records = records;
        this.stats = stats;
        this.remoteTimeout = remoteTimeoutMillis;
        this.backupTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(backupTimeoutMillis);
        this.suspector = suspector;
    }

    /** The write owners other than this member, or null if any of them is missing from the view. */
    List<Member> allInView(Topology t, int segment) {
        List<Member> out = new ArrayList<>(3);
        Member me = messenger.self();
        for (Member m : t.writeOwners(segment)) {
            if (!m.equals(me)) {
                if (!messenger.isInView(m)) {
                    return null;
                }
                out.add(m);
            }
        }
        return out;
    }

    /** The write owners other than this member that the view shows. */
    List<Member> live(Topology t, int segment) {
        List<Member> out = new ArrayList<>(3);
        Member me = messenger.self();
        for (Member m : t.writeOwners(segment)) {
            if (!m.equals(me) && messenger.isInView(m)) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Sends the change to every backup and waits; null when all applied, else the reply for the sender.
     * {@code applied[0]} counts the backups that took it, {@code applied[1]} those whose copy says the
     * session ended already.
     *
     * <p>The replies are waited for together, not one after the other: the committing thread wakes once, when the
     * last backup answered (one hand-off per write instead of one per backup), and every backup still silent at
     * {@code backupTimeout} is suspected then, the second as well as the first.
     */
    GridMessage replicate(Topology t, List<Member> backups, RecordChanges changes, SessionRecord next,
                          int[] applied) {
        if (backups.isEmpty()) {
            return null;
        }
        long sent = System.nanoTime();
        GridMessage[] replies = awaitAll(messenger.requestEach(backups, new ReplicateRequest(t.id(), changes),
                remoteTimeout), backups, sent);
        List<Member> behind = null;
        for (int i = 0; i < replies.length; i++) {
            if (replies[i] instanceof ReplicateReply rr && !rr.applied()) {
                // The backup's copy is not at our base version (it missed a change, or holds one that
                // was never acknowledged): give it the whole record, which it takes as authoritative.
                stats.fullRecordResend();
                if (behind == null) {
                    behind = new ArrayList<>(replies.length);
                }
                behind.add(backups.get(i));
            }
        }
        if (behind != null) {
            GridMessage[] resent = awaitAll(messenger.requestEach(behind,
                    new ReplicateRequest(t.id(), RecordChanges.whole(next)), remoteTimeout), behind, System.nanoTime());
            for (int i = 0, j = 0; i < replies.length; i++) {
                if (replies[i] instanceof ReplicateReply rr && !rr.applied()) {
                    replies[i] = resent[j++];
                }
            }
        }
        GridMessage failure = null;
        for (int i = 0; i < replies.length; i++) {
            GridMessage r = replies[i];
            if (r == null || (r instanceof ReplicateReply rr && rr.applied())) {
                applied[0]++;
                continue;
            }
            if (endedReply(r)) {
                applied[1]++;
            }
            if (failure == null) {
                // A topology change is worth retrying; a backup that failed (refused the message, did not
                // answer) is not: the sender gets the reason at once rather than retries until it times out.
                failure = r;
                LOG.debug("Backup {} refused {} under topology {}: {}", backups.get(i), changes.key(), t.id(), r);
            }
        }
        return failure;
    }

    /**
     * Each backup's reply, in the order of {@code from}, waiting for all of them at once up to {@code remoteTimeout}
     * (and a second) after {@code sentNanos}. A backup still silent {@code backupTimeout} after it is suspected once,
     * and the wait goes on: a suspect that JGroups excludes fails its request ({@link MemberGoneException}), one
     * that answers is waited for as before.
     */
    private GridMessage[] awaitAll(List<CompletableFuture<GridMessage>> futures, List<Member> from, long sentNanos) {
        boolean interrupted = false;
        try {
            waitOrSuspect(futures, from, sentNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            interrupted = true;
        }
        GridMessage[] out = new GridMessage[futures.size()];
        for (int i = 0; i < out.length; i++) {
            CompletableFuture<GridMessage> f = futures.get(i);
            out[i] = f.isDone() ? outcome(f, from.get(i))
                    : interrupted ? new Failure("interrupted")
                    : new Failure(from.get(i) + " did not answer within " + remoteTimeout + " ms");
        }
        return out;
    }

    /** Returns when every future is done, or at the deadline; suspects, once, the backups silent at backupTimeout. */
    private void waitOrSuspect(List<CompletableFuture<GridMessage>> futures, List<Member> from, long sentNanos)
            throws InterruptedException {
        CompletableFuture<?> all = futures.size() == 1 ? futures.get(0)
                : CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
        if (all.isDone()) {
            return;
        }
        long quiet = sentNanos + backupTimeoutNanos - System.nanoTime();
        if (doneWithin(all, quiet)) {
            return;
        }
        for (int i = 0; i < futures.size(); i++) {
            if (!futures.get(i).isDone()) {
                suspector.suspect(from.get(i), "no answer to a replicate within backupTimeout="
                        + TimeUnit.NANOSECONDS.toMillis(backupTimeoutNanos) + "ms");
            }
        }
        doneWithin(all, sentNanos + TimeUnit.MILLISECONDS.toNanos(remoteTimeout + 1_000) - System.nanoTime());
    }

    /** True if {@code f} completed (either way) within {@code nanos}. */
    private static boolean doneWithin(CompletableFuture<?> f, long nanos) throws InterruptedException {
        try {
            f.get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | CompletionException e) {
            // The replies' own outcomes say what failed (see outcome).
        } catch (TimeoutException e) {
            return false;
        }
        return true;
    }

    /**
     * A completed request's reply; a {@link Retry} if the member left this member's view meanwhile (null if this
     * member's own channel closed meanwhile). A backup that
     * leaves is not skipped: it may have crashed (the next topology drops it, and the retry goes
     * through without it), but it may as well sit on the other side of a partition, still alive and
     * about to serve, and a change acknowledged without it could then vanish or be done twice (an
     * expiry announced on both sides).
     */
    private GridMessage outcome(CompletableFuture<GridMessage> f, Member from) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            // Not thrown: f is done, and get() waits only for a future that is not.
            Thread.currentThread().interrupt();
            return new Failure("interrupted");
        } catch (ExecutionException | CompletionException e) {
            if (e.getCause() instanceof MemberGoneException) {
                // This member's own channel closing (a stop or crash) also fails the request: then the
                // backup is as good as reached (the commit path refuses everything but an announcement the
                // backups took, which is honoured rather than left recorded and never made).
                return messenger.isClosed() ? null : new Retry(topology.id());
            }
            return new Failure(from + ": " + e.getCause());
        }
    }

    /** Sends the change to every backup without waiting; one that is not at the base version gets the whole record. */
    void replicateAsync(Topology t, List<Member> backups, RecordChanges changes) {
        for (Member b : backups) {
            messenger.request(b, new ReplicateRequest(t.id(), changes), remoteTimeout).thenAccept(r -> {
                if (r instanceof ReplicateReply rr && !rr.applied()) {
                    SessionRecord now = records.get(changes.key());
                    if (now != null) {
                        stats.fullRecordResend();
                        messenger.request(b, new ReplicateRequest(t.id(), RecordChanges.whole(now)), remoteTimeout);
                    }
                }
            });
        }
    }

    /**
     * Sends {@code record} whole to each of {@code backups} until it takes it: under the topology current at
     * each attempt, while the backup is still a write owner of the record's segment, for at most
     * {@link #resendWindowMillis()}. Retries after a refusal (a topology installed meanwhile, a merge's
     * freeze) or a silence; a backup whose copy is newer or ended keeps its copy and counts as done.
     */
    void resendUntilTaken(Topology t, List<Member> backups, SessionKey key, SessionRecord record) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(resendWindowMillis());
        for (Member b : backups) {
            resendTo(b, key, record, t.id(), deadline);
        }
    }

    private void resendTo(Member b, SessionKey key, SessionRecord record, long topologyId, long deadline) {
        messenger.request(b, new ReplicateRequest(topologyId, RecordChanges.whole(record)), remoteTimeout)
                .handle((r, e) -> {
                    boolean done = r instanceof ReplicateReply || endedReply(r);
                    if (done || messenger.isClosed()) {
                        return null;
                    }
                    Topology now = topology.get();
                    if (System.nanoTime() - deadline > 0 || now == null
                            || !now.writeOwners(records.segmentOf(key)).contains(b)) {
                        LOG.info("Session {}: member {} did not take the announced copy ({}); it keeps the unannounced"
                                + " one until a merge or a transfer replaces it", key, b,
                                e != null ? e.toString() : r);
                        return null;
                    }
                    CompletableFuture.delayedExecutor(RESEND_PAUSE_MILLIS, TimeUnit.MILLISECONDS)
                            .execute(() -> resendTo(b, key, record, now.id(), deadline));
                    return null;
                });
    }

    /** How long an honoured announcement is re-sent to a backup that refused it: a merge's freeze included. */
    long resendWindowMillis() {
        return Math.max(10_000, 4 * remoteTimeout);
    }

    /** Forwards access times, batched per backup, without waiting for the answers. */
    void forward(Map<Member, List<Touch>> touches) {
        touches.forEach((b, batch) -> messenger.request(b, new TouchBatch(batch, true), remoteTimeout));
    }

    /** A backup's answer that its copy says the session ended already (see {@link BackupRole}). */
    static boolean endedReply(GridMessage r) {
        return r instanceof CommitReply cr && cr.status() == CommitStatus.INVALIDATED;
    }
}
