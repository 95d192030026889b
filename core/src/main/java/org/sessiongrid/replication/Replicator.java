package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.LockTokens;
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
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.ReadReply;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.ReadStatus;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.RestoreRecords;
import org.sessiongrid.wire.GridMessage.RestoreResult;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data path of one member: commits and reads at a segment's primary, replication to the
 * backups, and the source side of a segment transfer.
 *
 * <p>What a commit does to the record is decided by {@link CommitDecision}, a pure function; this class
 * fences, locks, replicates and stores. Rules that make it safe, each checked by a test of
 * {@code ReplicatorTest} (through a {@link Messenger} the test controls):
 * <ul>
 * <li><b>Fencing.</b> Every request names the topology its sender planned it under. A member on a
 * newer topology answers {@link Retry}; a member on an older one first waits briefly to catch up.
 * Work is only ever done by members that agree on the topology, so exactly one member is primary
 * of a segment for any write it accepts.</li>
 * <li><b>Commit only what is replicated.</b> The primary builds the new record, sends the change to
 * every live write owner of the segment and waits (sync mode); only when all applied it does the
 * primary store the record and acknowledge. If a backup refuses (topology moved on) the primary
 * keeps its old record and answers {@link Retry}; the backups that did apply hold a version that is
 * replaced by the next write (see below).</li>
 * <li><b>Versions.</b> A primary makes versions at least {@code topologyId << 32}, so a primary of a
 * newer topology dominates. A backup applies a change only onto exactly its base version; otherwise
 * it asks for the whole record, which the primary sends and the backup takes as authoritative.</li>
 * <li><b>Order.</b> The primary holds the session's key lock from reading the current record until
 * every backup answered, so the changes of one session reach the backups in order.</li>
 * <li><b>An end stands.</b> A backup whose copy says the session ended ({@link SessionRecord#isEnded}:
 * invalidated, or its expiry announced) takes no other change of it, whatever its version: a primary
 * whose copy missed the end (a stale copy promoted after a failure) would otherwise announce the expiry
 * again (listeners twice) or bring the session back. The backup answers {@link CommitStatus#INVALIDATED};
 * the primary adopts the end, calls nothing, and tells its caller the session is gone.</li>
 * <li><b>An honoured announcement reaches every owner.</b> A backup that refused an announcement the
 * primary honoured gets the announced copy again, under whatever topology is then current, until it
 * takes it: a backup left with the unannounced copy would announce once more if it were promoted after
 * the owners that hold the announced one died.</li>
 * <li><b>A silent backup is suspected, never skipped.</b> A backup that has not answered within
 * {@code backupTimeout} is suspected ({@link Suspector}); the write keeps waiting until it answers or the view
 * leaves it out, then ends as when a backup leaves mid-write (retried under the next topology).</li>
 * </ul>
 */
public final class Replicator {

    private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);

    /** How long a member behind the sender's topology waits to catch up before answering retry. */
    private static final long FENCE_WAIT_MILLIS = 2_000;

    private final Messenger messenger;
    private final InstalledTopology topology;
    private final RecordStore records;
    private final KeyLocks locks = new KeyLocks(4096);
    private final boolean sync;
    private final long remoteTimeout;
    private final long backupTimeoutNanos;
    private final Suspector suspector;
    private final GridStats stats;
    private final long expirySlackMillis;
    private final BooleanSupplier stopped;
    private final LongConsumer catchUp;
    private final int tombstoneSeconds;
    private final ChangeNotifier notifier;

    /** Delivers change notices: (session, new version, ids of members holding a copy). */
    @FunctionalInterface
    public interface ChangeNotifier {
        void changed(SessionKey key, long version, List<String> memberIds);
    }

    /**
     * Members (by id) that read or committed a session through this primary since its last change:
     * they hold a copy and are told when it goes stale. Cleared on every change and on removal.
     */
    private final ConcurrentHashMap<SessionKey, Set<String>> copyHolders = new ConcurrentHashMap<>();

    private Replicator(Builder b) {
        this.messenger = Objects.requireNonNull(b.messenger, "messenger");
        this.topology = Objects.requireNonNull(b.topology, "topology");
        this.records = Objects.requireNonNull(b.records, "records");
        this.sync = b.synchronous;
        this.remoteTimeout = b.remoteTimeoutMillis;
        this.backupTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(b.backupTimeoutMillis);
        this.suspector = b.suspector;
        this.expirySlackMillis = b.expirySlackMillis;
        this.tombstoneSeconds = b.tombstoneSeconds;
        this.stats = b.stats;
        this.stopped = b.refusesWrites;
        this.catchUp = b.catchUp;
        this.notifier = b.notifier;
    }

    /**
     * Starts a replicator over {@code records}, talking to the other members through {@code messenger}
     * under the topology {@code topology} holds. Every setting not given keeps its default (see
     * {@link Builder}).
     */
    public static Builder builder(Messenger messenger, InstalledTopology topology, RecordStore records) {
        return new Builder(messenger, topology, records);
    }

    /**
     * The settings and hooks of a {@link Replicator}, by name; unset ones default to the grid's defaults.
     * Not thread-safe; build once.
     */
    public static final class Builder {
        private final Messenger messenger;
        private final InstalledTopology topology;
        private final RecordStore records;
        private boolean synchronous = true;
        private long remoteTimeoutMillis = 15_000;
        private long backupTimeoutMillis = 1_000;
        private Suspector suspector = Suspector.NONE;
        private long expirySlackMillis = 1_000;
        private int tombstoneSeconds = 600;
        private GridStats stats = new GridStats();
        private BooleanSupplier refusesWrites = () -> false;
        private LongConsumer catchUp = id -> { };
        private ChangeNotifier notifier = (key, version, members) -> { };

        private Builder(Messenger messenger, InstalledTopology topology, RecordStore records) {
            this.messenger = messenger;
            this.topology = topology;
            this.records = records;
        }

        /** True (default): a commit is acknowledged once every backup applied it; false: sent after. */
        public Builder synchronous(boolean synchronous) {
            this.synchronous = synchronous;
            return this;
        }

        /** How long a backup may take to answer (default 15 s, as the setting {@code remoteTimeout}). */
        public Builder remoteTimeoutMillis(long millis) {
            this.remoteTimeoutMillis = millis;
            return this;
        }

        /**
         * How long a backup may stay silent before {@code suspector} is told (default: 1 s, as the setting
         * {@code backupTimeout}, and nobody told).
         */
        public Builder suspectAfter(long backupTimeoutMillis, Suspector suspector) {
            this.backupTimeoutMillis = backupTimeoutMillis;
            this.suspector = Objects.requireNonNull(suspector);
            return this;
        }

        /** How late access times may reach the primary; an expiry waits that much longer (default 1 s, as the setting {@code accessTimeGranularity}). */
        public Builder expirySlackMillis(long millis) {
            this.expirySlackMillis = millis;
            return this;
        }

        /** How long the end this primary adopts from a backup is kept (default 600 s, as the setting {@code tombstoneTimeout}). */
        public Builder tombstoneSeconds(int seconds) {
            this.tombstoneSeconds = seconds;
            return this;
        }

        public Builder stats(GridStats stats) {
            this.stats = Objects.requireNonNull(stats);
            return this;
        }

        /**
         * True while this member must acknowledge nothing but an announcement its backups took: stopped,
         * rejoining, or on the refusing side of a partition (default: never).
         */
        public Builder refusesWritesWhen(BooleanSupplier refusesWrites) {
            this.refusesWrites = Objects.requireNonNull(refusesWrites);
            return this;
        }

        /** Asked to fetch a topology a sender named that this member has not installed (default: nothing). */
        public Builder catchUp(LongConsumer catchUp) {
            this.catchUp = Objects.requireNonNull(catchUp);
            return this;
        }

        /** Told which members hold a copy a commit made stale (default: nobody). */
        public Builder onChange(ChangeNotifier notifier) {
            this.notifier = Objects.requireNonNull(notifier);
            return this;
        }

        public Replicator build() {
            return new Replicator(this);
        }
    }

    public RecordStore records() {
        return records;
    }

    /**
     * Null if the sender's topology id is ours (after waiting briefly for ours to reach it),
     * otherwise the {@link Retry} to answer.
     */
    GridMessage fence(long senderTopologyId) {
        long mine = topology.id();
        if (senderTopologyId == mine) {
            return null;
        }
        if (senderTopologyId > mine) {
            try {
                Topology t = topology.awaitAtLeast(senderTopologyId,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FENCE_WAIT_MILLIS));
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

    /** Handles a commit made on this member (as primary). */
    public GridMessage commit(CommitRequest req) {
        return commit(req, null);
    }

    /**
     * Handles a commit at this member, which the sender believes is the session's primary.
     *
     * @param senderId the member that sent it, or null when it was made here
     */
    public GridMessage commit(CommitRequest req, String senderId) {
        GridMessage refused = fence(req.topologyId());
        if (refused != null) {
            return refused;
        }
        SessionKey key = req.key();
        int segment = records.segmentOf(key);
        ReentrantLock lock = locks.lockFor(key);
        long waitDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, req.lockWaitMillis()));
        lock.lock();
        try {
            while (true) {
                // Inside a change of this topology: a newer one is not installed until the commit is stored
                // (see InstalledTopology), so a new owner's pull cannot miss it.
                if (!topology.enterChange(req.topologyId())) {
                    return new Retry(topology.id());
                }
                long lockWaitNanos;
                try {
                    Topology t = topology.get();
                    if (!messenger.self().equals(t.primary(segment))) {
                        return new Retry(t.id());
                    }
                    SessionRecord old = records.get(key);
                    if (req.kind() != CommitKind.LOCK || old == null || old.isTombstone()
                            || !heldByOther(old, req.lockToken())) {
                        GridMessage reply = commitLocked(req, t, segment, old);
                        if (reply instanceof CommitReply c && c.status() == CommitStatus.FENCED) {
                            fenced(req, t, old, senderId);
                        }
                        if (reply instanceof CommitReply c && c.status() == CommitStatus.OK && changesContent(req.kind())) {
                            afterChange(key, c.version(), senderId, req.kind() == CommitKind.UPDATE
                                    || req.kind() == CommitKind.CREATE);
                        }
                        return reply;
                    }
                    lockWaitNanos = waitDeadline - System.nanoTime();
                    if (lockWaitNanos <= 0) {
                        return new CommitReply(CommitStatus.LOCKED, old.version(), null);
                    }
                } finally {
                    topology.exitChange();
                }
                // Outside the change (a topology may be installed meanwhile). Re-check at least every
                // 250 ms: the holder's member may have died meanwhile.
                locks.releasedFor(key).awaitNanos(Math.min(lockWaitNanos, TimeUnit.MILLISECONDS.toNanos(250)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds, at this primary, each of a returning member's kept copies of segments lost with it whose key is unknown
     * here (no session, no tombstone): whatever is here wins, being what the cluster acknowledged since the loss (a
     * session created again under the same id, its end). A copy is added as a write of this topology: replicated to
     * the segment's other write owners and stored once they all took it, under the key's lock, as a commit.
     *
     * @return {@link RestoreResult} with the copies added, or why the sender must ask again ({@link Retry}) or give up
     */
    public GridMessage restore(RestoreRecords req) {
        GridMessage refused = fence(req.topologyId());
        if (refused != null) {
            return refused;
        }
        int[] added = {0};
        for (SessionRecord kept : req.records()) {
            GridMessage failed = restoreOne(req.topologyId(), kept, added);
            if (failed != null) {
                return failed;
            }
        }
        return new RestoreResult(added[0]);
    }

    /** Adds {@code kept} if its key is unknown here (counted in {@code added}); null when done, else the refusal. */
    private GridMessage restoreOne(long topologyId, SessionRecord kept, int[] added) {
        SessionKey key = kept.key();
        int segment = records.segmentOf(key);
        ReentrantLock lock = locks.lockFor(key);
        lock.lock();
        try {
            if (!topology.enterChange(topologyId)) {
                return new Retry(topology.id());
            }
            try {
                Topology t = topology.get();
                if (!messenger.self().equals(t.primary(segment))) {
                    return new Retry(t.id());
                }
                SessionRecord here = records.get(key);
                if (here != null) {
                    // The same version made by the same commit: this very copy, added by this push and asked again.
                    if (here.version() == kept.version() && here.meta().lastOpId() == kept.meta().lastOpId()) {
                        added[0]++;
                    }
                    return null;
                }
                List<Member> backups = backupsAllInView(t, segment);
                if (backups == null) {
                    return new Retry(t.id());
                }
                int[] applied = {0, 0};
                GridMessage failed = replicate(t, backups, RecordChanges.whole(kept), kept, applied);
                if (applied[1] > 0) {
                    // A backup holds an end of the session that this primary missed: the end stands, as for a commit.
                    adoptEnd(t, backups, key, null, kept, CommitKind.CREATE);
                    return null;
                }
                if (failed != null) {
                    return failed;
                }
                if (stopped.getAsBoolean()) {
                    return new Failure("member stopped or cut off from the majority");
                }
                records.put(kept);
                added[0]++;
                return null;
            } finally {
                topology.exitChange();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Counts and logs, in one line, a commit refused as a zombie write (see {@link CommitDecision#overwritten}). */
    private void fenced(CommitRequest req, Topology t, SessionRecord current, String senderId) {
        stats.fencedCommit();
        String sender = senderId == null ? "this member" : t.members().stream().filter(m -> m.id().equals(senderId))
                .map(Member::toString).findFirst().orElse("member " + senderId);
        CommitDecision.Overwritten o = CommitDecision.overwritten(req, current);
        LOG.warn("{} refused {} of session {} from {}: {} at version {} (topology {}) after the version {} (topology {})"
                + " the request read, so the request started before a failover it did not see (its member was paused"
                + " or cut off); nothing was applied and its client gets an error", messenger.self(),
                req.kind() == CommitKind.INVALIDATE ? "an invalidation" : "a commit", req.key(), sender, o.reason(),
                o.changedAt(), CommitDecision.topologyOf(o.changedAt()), req.baseVersion(),
                CommitDecision.topologyOf(req.baseVersion()));
    }

    /** Forgets copy holders of sessions whose segment this member is no longer primary of. */
    public void forgetHoldersElsewhere(Topology t) {
        Member me = messenger.self();
        copyHolders.keySet().removeIf(k -> !me.equals(t.primary(records.segmentOf(k))));
    }

    private static boolean changesContent(CommitKind kind) {
        return kind == CommitKind.UPDATE || kind == CommitKind.INVALIDATE || kind == CommitKind.EXPIRE
                || kind == CommitKind.CLAIM || kind == CommitKind.CREATE;
    }

    /** Notifies the holders of stale copies; the committer (if remote) holds the new one. */
    private void afterChange(SessionKey key, long version, String senderId, boolean live) {
        Set<String> holders = copyHolders.remove(key);
        List<String> stale = new ArrayList<>();
        if (holders != null) {
            holders.stream().filter(h -> !h.equals(senderId)).forEach(stale::add);
        }
        if (senderId != null) {
            // A change made elsewhere also makes this member's own container copy stale.
            stale.add(messenger.self().id());
        }
        if (!stale.isEmpty()) {
            notifier.changed(key, version, stale);
        }
        if (live && senderId != null) {
            copyHolders.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(senderId);
        }
    }

    /** True if someone other than {@code token} holds the lock and its member is still in the view. */
    private boolean heldByOther(SessionRecord r, String token) {
        String owner = r.meta().lockOwner();
        return owner != null && !owner.equals(token) && messenger.isInView(LockTokens.memberId(owner));
    }

    private GridMessage commitLocked(CommitRequest req, Topology t, int segment, SessionRecord old) {
        SessionKey key = req.key();
        CommitDecision decision = CommitDecision.decide(req, old, t.id(), System.currentTimeMillis(),
                expirySlackMillis);
        if (decision instanceof CommitDecision.Answer answer) {
            return answer.reply();
        }
        CommitDecision.Store store = (CommitDecision.Store) decision;
        SessionRecord next = store.next();
        List<Member> backups = backupsAllInView(t, segment);
        if (backups == null) {
            // An owner of this topology that this member's view does not show: either it died (the
            // coordinator's next topology drops it) or this view lags behind the one the topology was
            // made in (a merge, a join). In the second case it is alive and will serve the session, so
            // a write acknowledged without it could vanish. Nothing is applied; the caller retries.
            return new Retry(t.id());
        }
        RecordChanges toBackups = next.changesSince(old == null ? 0 : old.version());
        if (sync) {
            long started = System.nanoTime();
            // [0]: backups that took the change; [1]: backups whose copy says the session ended already
            int[] applied = {0, 0};
            GridMessage failed = replicate(t, backups, toBackups, next, applied);
            if (failed == null && !backups.isEmpty()) {
                stats.replicated(System.nanoTime() - started);
            }
            if (applied[1] > 0) {
                return adoptEnd(t, backups, key, old, next, req.kind());
            }
            if (failed != null && req.kind() == CommitKind.ANNOUNCE && applied[0] > 0) {
                // A backup recorded the announcement and cannot take it back, and a merge or a promotion
                // keeps an announced copy over this unannounced one: refusing now would leave the call to
                // nobody. It is honoured here; the backups that refused (frozen for a merge, a lagging
                // view) get the announced copy in the background, or from this primary at the next merge
                // or transfer.
                LOG.info("Expiry of session {} announced although {} of {} backups refused it ({}); its listeners run"
                        + " here", key, backups.size() - applied[0], backups.size(), failed);
                resendUntilTaken(t, backups, key, next);
                failed = null;
            }
            if (failed != null) {
                return failed;
            }
            if (stopped.getAsBoolean() && req.kind() != CommitKind.ANNOUNCE) {
                // Stopped, paused, or found to be on a refusing minority meanwhile: backups may look gone
                // only because this member was cut off, so nothing may be acknowledged. (An announcement
                // the backups took is honoured: refusing it now would leave it recorded and never made.)
                return new Failure("member stopped or cut off from the majority");
            }
            records.put(next);
        } else {
            records.put(next);
            replicateAsync(t, backups, toBackups);
        }
        if (store.releasesLock()) {
            locks.releasedFor(key).signalAll();
        }
        return store.reply();
    }

    /**
     * Applies batched access times of sessions this member holds (merged by maximum, version
     * unchanged: access times only steer expiry, which only the primary performs) and, when this
     * member is their primary, forwards them to the backups.
     */
    public void touch(GridMessage.TouchBatch batch) {
        Topology t = topology.get();
        Member me = messenger.self();
        Map<Member, List<GridMessage.Touch>> forward = new HashMap<>();
        for (GridMessage.Touch touch : batch.touches()) {
            SessionRecord r = records.compute(touch.key(), (k, old) -> old == null || old.isTombstone()
                    || old.meta().lastAccessedTime() >= touch.accessTime() ? old
                    : old.withMeta(old.meta().withLastAccessedTime(touch.accessTime()), old.version()));
            if (r == null || batch.forwarded() || t == null) {
                continue;
            }
            int segment = records.segmentOf(touch.key());
            if (me.equals(t.primary(segment))) {
                for (Member b : liveBackups(t, segment)) {
                    forward.computeIfAbsent(b, x -> new ArrayList<>()).add(touch);
                }
            }
        }
        forward.forEach((b, touches) -> messenger.request(b, new GridMessage.TouchBatch(touches, true), remoteTimeout));
    }

    /** The write owners other than this member, or null if any of them is missing from the view. */
    private List<Member> backupsAllInView(Topology t, int segment) {
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

    private List<Member> liveBackups(Topology t, int segment) {
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
     */
    private GridMessage replicate(Topology t, List<Member> backups, RecordChanges changes, SessionRecord next,
                                  int[] applied) {
        if (backups.isEmpty()) {
            return null;
        }
        long sent = System.nanoTime();
        List<CompletableFuture<GridMessage>> futures = messenger.requestEach(backups,
                new ReplicateRequest(t.id(), changes), remoteTimeout);
        GridMessage failure = null;
        for (int i = 0; i < backups.size(); i++) {
            GridMessage r = await(futures.get(i), backups.get(i), sent);
            if (r instanceof ReplicateReply rr && !rr.applied()) {
                // The backup's copy is not at our base version (it missed a change, or holds one that
                // was never acknowledged): give it the whole record, which it takes as authoritative.
                stats.fullRecordResend();
                long resent = System.nanoTime();
                r = await(messenger.request(backups.get(i), new ReplicateRequest(t.id(), RecordChanges.whole(next)),
                        remoteTimeout), backups.get(i), resent);
            }
            if (r == null || (r instanceof ReplicateReply rr2 && rr2.applied())) {
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
     * The reply; a {@link Retry} if the member left this member's view meanwhile (null if this member's
     * own channel closed meanwhile). A backup that
     * leaves is not skipped: it may have crashed (the next topology drops it, and the retry goes
     * through without it), but it may as well sit on the other side of a partition, still alive and
     * about to serve, and a change acknowledged without it could then vanish or be done twice (an
     * expiry announced on both sides).
     */
    private GridMessage await(CompletableFuture<GridMessage> f, Member from, long sentNanos) {
        try {
            return getOrSuspect(f, from, sentNanos);
        } catch (InterruptedException e) {
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
        } catch (TimeoutException e) {
            return new Failure(from + " did not answer within " + remoteTimeout + " ms");
        }
    }

    /**
     * The reply, waiting up to {@code remoteTimeout} (and a second) after {@code sentNanos}; a backup still silent
     * {@code backupTimeout} after it is suspected once, and the wait goes on: a suspect that JGroups excludes
     * fails the request ({@link MemberGoneException}), one that answers is waited for as before.
     */
    private GridMessage getOrSuspect(CompletableFuture<GridMessage> f, Member from, long sentNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (!f.isDone()) {
            long quiet = sentNanos + backupTimeoutNanos - System.nanoTime();
            try {
                return f.get(Math.max(0, quiet), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                suspector.suspect(from, "no answer to a replicate within backupTimeout="
                        + TimeUnit.NANOSECONDS.toMillis(backupTimeoutNanos) + "ms");
            }
        }
        long left = sentNanos + TimeUnit.MILLISECONDS.toNanos(remoteTimeout + 1_000) - System.nanoTime();
        return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    }

    private void replicateAsync(Topology t, List<Member> backups, RecordChanges changes) {
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
     * Applies a primary's change at this backup (or pending owner).
     *
     * @param mayWait false on a thread that must never block (the JGroups thread that delivered the
     *                change): then only a change made under this member's own topology is applied, the
     *                common case, which takes no lock that is held while waiting (see
     *                {@link InstalledTopology#tryEnterChange}); for any other topology id this returns null,
     *                having changed nothing, and the caller asks again with {@code mayWait} (the fence may
     *                wait for this member to catch up)
     * @return the reply for the primary, or null (only without {@code mayWait})
     */
    public GridMessage replicate(ReplicateRequest req, boolean mayWait) {
        if (!mayWait) {
            if (req.topologyId() != topology.id()) {
                return null;
            }
        } else {
            GridMessage refused = fence(req.topologyId());
            if (refused != null) {
                return refused;
            }
        }
        // Checks the id again, under the lock: an install may have come in between.
        if (!topology.tryEnterChange(req.topologyId())) {
            // A newer topology is being installed here right now: the primary retries under it.
            return new Retry(topology.id());
        }
        try {
            return apply(req.changes());
        } finally {
            topology.exitChange();
        }
    }

    private GridMessage apply(RecordChanges c) {
        boolean[] applied = {true};
        long[] ended = {0};
        records.compute(c.key(), (k, local) -> {
            if (local != null && local.isEnded() && local.version() != c.version()) {
                // See "An end stands" above. The same version is the same change again (a resend).
                ended[0] = local.version();
                return local;
            }
            if (c.baseVersion() == 0) {
                // A whole record from the primary of our topology is authoritative; an older one
                // (a late duplicate) changes nothing.
                return local == null || local.version() <= c.version() ? c.applyTo(null) : local;
            }
            if (local != null && local.version() == c.baseVersion()) {
                return c.applyTo(local);
            }
            applied[0] = false;
            return local;
        });
        if (ended[0] != 0) {
            return new CommitReply(CommitStatus.INVALIDATED, ended[0], null);
        }
        return new ReplicateReply(applied[0]);
    }

    /** A backup's answer that its copy says the session ended already (see "An end stands" above). */
    private static boolean endedReply(GridMessage r) {
        return r instanceof CommitReply cr && cr.status() == CommitStatus.INVALIDATED;
    }

    /**
     * A backup's copy says the session ended, which this primary's copy missed (it was promoted from a
     * stale backup copy, or took a late write): the end stands. This member stores an end of its own
     * (an expiry marked announced, so that nobody announces it again; otherwise a plain tombstone), sends
     * it to the backups that took the change, and answers that the session is gone: an announcement is
     * not called here, an update is not acknowledged.
     */
    private GridMessage adoptEnd(Topology t, List<Member> backups, SessionKey key, SessionRecord old,
                                 SessionRecord next, CommitKind kind) {
        SessionRecord base = old != null ? old : next;
        SessionRecord end = base.isTombstone() ? base.announced(next.version())
                : base.tombstone(next.version(), System.currentTimeMillis(), tombstoneSeconds);
        records.put(end);
        locks.releasedFor(key).signalAll();
        replicateAsync(t, backups, RecordChanges.whole(end));
        LOG.info("Session {} had ended already on a backup, which this primary's copy missed; {} refused, nothing"
                + " called here", key, kind);
        return new CommitReply(CommitStatus.INVALIDATED, end.version(), null);
    }

    /**
     * Sends {@code record} whole to each of {@code backups} until it takes it: under the topology current at
     * each attempt, while the backup is still a write owner of the record's segment, for at most
     * {@link #resendWindowMillis()}. Retries after a refusal (a topology installed meanwhile, a merge's
     * freeze) or a silence; a backup whose copy is newer or ended keeps its copy and counts as done.
     */
    private void resendUntilTaken(Topology t, List<Member> backups, SessionKey key, SessionRecord record) {
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

    private static final long RESEND_PAUSE_MILLIS = 250;

    /**
     * The largest record whose changes a read answers on the JGroups thread that delivered it; a larger one is
     * answered from the transport's executor, through flow control. One bundle of the shipped stacks.
     */
    private static final long REPLY_ON_DELIVERY_THREAD_MAX_BYTES = 60 * 1024;

    /** How long an honoured announcement is re-sent to a backup that refused it: a merge's freeze included. */
    long resendWindowMillis() {
        return Math.max(10_000, 4 * remoteTimeout);
    }

    /**
     * Answers a read at the primary: nothing new, the changes since the caller's version, or gone.
     *
     * @param senderId the member that asked (it then holds a copy), or null when asked here
     */
    public GridMessage read(ReadRequest req, String senderId) {
        return read(req, senderId, true);
    }

    /**
     * @param mayWait false on the JGroups thread that delivered the request: a read under another topology than
     *        this member's (which may mean waiting for the newer one) is then left to the transport's executor
     *        (null); under this member's topology it needs no lock and no wait, like a backup's apply
     */
    public GridMessage read(ReadRequest req, String senderId, boolean mayWait) {
        if (!mayWait) {
            if (req.topologyId() != topology.id()) {
                return null;
            }
        } else {
            GridMessage refused = fence(req.topologyId());
            if (refused != null) {
                return refused;
            }
        }
        Topology t = topology.get();
        if (!messenger.self().equals(t.primary(records.segmentOf(req.key())))) {
            return new Retry(t.id());
        }
        SessionRecord r = records.get(req.key());
        if (r == null) {
            return new ReadReply(ReadStatus.MISSING, null);
        }
        if (r.isTombstone()) {
            return new ReadReply(ReadStatus.INVALIDATED, null);
        }
        if (!mayWait && r.version() != req.knownVersion() && r.sizeBytes() > REPLY_ON_DELIVERY_THREAD_MAX_BYTES) {
            // A reply sent from the delivering thread bypasses flow control, which is right only for small ones.
            return null;
        }
        if (senderId != null) {
            copyHolders.computeIfAbsent(req.key(), k -> ConcurrentHashMap.newKeySet()).add(senderId);
        }
        if (r.version() == req.knownVersion()) {
            return new ReadReply(ReadStatus.NOT_MODIFIED, null);
        }
        return new ReadReply(ReadStatus.CHANGES, r.changesSince(req.knownVersion()));
    }

    /** Serves a chunk of a segment to a new owner. */
    public GridMessage stateChunk(StateRequest req, int maxChunk) {
        GridMessage refused = fence(req.topologyId());
        if (refused != null) {
            return refused;
        }
        if (req.segment() < 0 || req.segment() >= records.numSegments()) {
            return new Failure("segment " + req.segment() + " out of range");
        }
        int max = Math.max(1, Math.min(req.maxRecords(), maxChunk));
        List<SessionRecord> chunk = records.chunk(req.segment(), req.after(), max);
        return new StateChunk(chunk, chunk.size() < max);
    }

    /** Serves a segment to a member back from an absence: only what differs from the copies it kept. */
    public GridMessage stateDiff(StateDigest req, int maxChunk) {
        GridMessage refused = fence(req.topologyId());
        if (refused != null) {
            return refused;
        }
        if (req.segment() < 0 || req.segment() >= records.numSegments()) {
            return new Failure("segment " + req.segment() + " out of range");
        }
        int max = Math.max(1, Math.min(req.maxRecords(), maxChunk));
        return SegmentDiff.answer(records.range(req.segment(), req.after(), req.keptThrough()), req.kept(),
                req.keptThrough(), max);
    }
}
