package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.LockTokens;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
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
import org.sessiongrid.wire.GridMessage.RestoreRecords;
import org.sessiongrid.wire.GridMessage.RestoreResult;
import org.sessiongrid.wire.GridMessage.ReturnCopies;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.Touch;
import org.sessiongrid.wire.GridMessage.TouchBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A segment's primary: commits, restores of kept copies, reads, and the access times it merges and forwards.
 * What a commit does to the record is decided by {@link CommitDecision}, a pure function; this class locks,
 * replicates (through {@link BackupSender}) and stores.
 *
 * <ul>
 * <li><b>Commit only what is replicated.</b> The primary builds the new record, sends the change to every live
 * write owner of the segment and waits (sync mode); only when all applied does the primary store the record and
 * acknowledge. If a backup refuses (topology moved on) the primary keeps its old record and answers
 * {@link Retry}; the backups that did apply hold a version that the next write replaces.</li>
 * <li><b>Versions.</b> A primary makes versions at least {@code topologyId << 32}, so a primary of a newer
 * topology dominates.</li>
 * <li><b>Order.</b> The primary holds the session's key lock from reading the current record until every backup
 * answered, so the changes of one session reach the backups in order.</li>
 * <li><b>An end stands.</b> A backup whose copy says the session ended refuses the change
 * ({@link BackupRole}); the primary adopts the end, calls nothing, and tells its caller the session is gone.</li>
 * <li><b>An honoured announcement reaches every owner.</b> A backup that refused an announcement the primary
 * honoured gets the announced copy again, under whatever topology is then current, until it takes it: a backup
 * left with the unannounced copy would announce once more if it were promoted after the owners that hold the
 * announced one died.</li>
 * </ul>
 *
 * <p>Threading: called on the threads that deliver requests (the transport's executor; for a read under this
 * member's topology, the JGroups thread that delivered it) and on the container's threads for a commit made here.
 * A session's commit or restore holds the session's lock ({@link KeyLocks}, striped) from reading the record to
 * storing it, and runs inside a change of the installed topology ({@link InstalledTopology#enterChange}), so no
 * newer topology is installed until it is stored. A read takes neither: it reads one record of the store.
 */
final class PrimaryRole {

    private static final Logger LOG = LoggerFactory.getLogger(PrimaryRole.class);

    /**
     * The largest record whose changes a read answers on the JGroups thread that delivered it; a larger one is
     * answered from the transport's executor, through flow control. One bundle of the shipped stacks.
     */
    private static final long REPLY_ON_DELIVERY_THREAD_MAX_BYTES = 60 * 1024;

    private final Messenger messenger;
    private final InstalledTopology topology;
    private final RecordStore records;
    private final Fence fence;
    private final BackupSender backups;
    private final CopyHolders holders;
    private final KeyLocks locks = new KeyLocks(4096);
    private final boolean sync;
    private final GridStats stats;
    private final long expirySlackMillis;
    private final int tombstoneSeconds;
    private final BooleanSupplier stopped;

    PrimaryRole(Messenger messenger, InstalledTopology topology, RecordStore records, Fence fence,
                BackupSender backups, CopyHolders holders, boolean sync, GridStats stats, long expirySlackMillis,
                int tombstoneSeconds, BooleanSupplier stopped) {
        this.messenger = messenger;
        this.topology = topology;
        this.records = records;
        this.fence = fence;
        this.backups = backups;
        this.holders = holders;
        this.sync = sync;
        this.stats = stats;
        this.expirySlackMillis = expirySlackMillis;
        this.tombstoneSeconds = tombstoneSeconds;
        this.stopped = stopped;
    }

    /** See {@link Replicator#commit(CommitRequest, String)}. */
    GridMessage commit(CommitRequest req, String senderId) {
        GridMessage refused = fence.check(req.topologyId());
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
                            holders.changed(key, c.version(), senderId, req.kind() == CommitKind.UPDATE
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

    private GridMessage commitLocked(CommitRequest req, Topology t, int segment, SessionRecord old) {
        SessionKey key = req.key();
        CommitDecision decision = CommitDecision.decide(req, old, t.id(), System.currentTimeMillis(),
                expirySlackMillis);
        if (decision instanceof CommitDecision.Answer answer) {
            return answer.reply();
        }
        CommitDecision.Store store = (CommitDecision.Store) decision;
        SessionRecord next = store.next();
        List<Member> owners = backups.allInView(t, segment);
        if (owners == null) {
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
            GridMessage failed = backups.replicate(t, owners, toBackups, next, applied);
            if (failed == null && !owners.isEmpty()) {
                stats.replicated(System.nanoTime() - started);
            }
            if (applied[1] > 0) {
                return adoptEnd(t, owners, key, old, next, req.kind());
            }
            if (failed != null && req.kind() == CommitKind.ANNOUNCE && applied[0] > 0) {
                // A backup recorded the announcement and cannot take it back, and a merge or a promotion
                // keeps an announced copy over this unannounced one: refusing now would leave the call to
                // nobody. It is honoured here; the backups that refused (frozen for a merge, a lagging
                // view) get the announced copy in the background, or from this primary at the next merge
                // or transfer.
                LOG.info("Expiry of session {} announced although {} of {} backups refused it ({}); its listeners run"
                        + " here", key, owners.size() - applied[0], owners.size(), failed);
                backups.resendUntilTaken(t, owners, key, next);
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
            backups.replicateAsync(t, owners, toBackups);
        }
        if (store.releasesLock()) {
            locks.releasedFor(key).signalAll();
        }
        return store.reply();
    }

    /**
     * A backup's copy says the session ended, which this primary's copy missed (it was promoted from a
     * stale backup copy, or took a late write): the end stands. This member stores an end of its own
     * (an expiry marked announced, so that nobody announces it again; otherwise a plain tombstone), sends
     * it to the backups that took the change, and answers that the session is gone: an announcement is
     * not called here, an update is not acknowledged.
     */
    private GridMessage adoptEnd(Topology t, List<Member> owners, SessionKey key, SessionRecord old,
                                 SessionRecord next, CommitKind kind) {
        SessionRecord base = old != null ? old : next;
        SessionRecord end = base.isTombstone() ? base.announced(next.version())
                : base.tombstone(next.version(), System.currentTimeMillis(), tombstoneSeconds);
        records.put(end);
        locks.releasedFor(key).signalAll();
        backups.replicateAsync(t, owners, RecordChanges.whole(end));
        LOG.info("Session {} had ended already on a backup, which this primary's copy missed; {} refused, nothing"
                + " called here", key, kind);
        return new CommitReply(CommitStatus.INVALIDATED, end.version(), null);
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

    private static boolean changesContent(CommitKind kind) {
        return kind == CommitKind.UPDATE || kind == CommitKind.INVALIDATE || kind == CommitKind.EXPIRE
                || kind == CommitKind.CLAIM || kind == CommitKind.CREATE;
    }

    /** True if someone other than {@code token} holds the lock and its member is still in the view. */
    private boolean heldByOther(SessionRecord r, String token) {
        String owner = r.meta().lockOwner();
        return owner != null && !owner.equals(token) && messenger.isInView(LockTokens.memberId(owner));
    }

    /** See {@link Replicator#restore}. */
    GridMessage restore(RestoreRecords req) {
        return keepEach(req.topologyId(), req.records(), (kept, here) -> {
            if (here == null) {
                return kept;
            }
            // The same version made by the same commit: this very copy, added by this push and asked again.
            return here.version() == kept.version() && here.meta().lastOpId() == kept.meta().lastOpId() ? here : null;
        });
    }

    /** See {@link Replicator#returnCopies}. */
    GridMessage returnCopies(ReturnCopies req) {
        return keepEach(req.topologyId(), req.records(), (kept, here) -> {
            if (here == null) {
                return null; // what the cluster does not know is not decided here (an end may have been forgotten)
            }
            SessionRecord merged = RecordStore.merged(kept, here);
            // Only a copy that wins on the versions' order: one at the same version as here stays here's, as a
            // backup would refuse it, and a retried return finds its own copy here at that version.
            return merged.version() > here.version() ? merged : here.version() == kept.version()
                    && here.meta().lastOpId() == kept.meta().lastOpId() ? here : null;
        });
    }

    /**
     * What {@link #keepEach} stores of a copy pushed to this primary, given the record here (null: none): a record
     * to store and replicate, {@code here} itself to count the copy as kept without a change (a retried push),
     * or null to leave the key as it is.
     */
    private interface KeepRule {
        SessionRecord keep(SessionRecord pushed, SessionRecord here);
    }

    /** Stores each of {@code pushed} as {@code rule} says; the {@link RestoreResult} of those kept, or the refusal. */
    private GridMessage keepEach(long topologyId, List<SessionRecord> pushed, KeepRule rule) {
        GridMessage refused = fence.check(topologyId);
        if (refused != null) {
            return refused;
        }
        int[] kept = {0};
        for (SessionRecord r : pushed) {
            GridMessage failed = keepOne(topologyId, r, rule, kept);
            if (failed != null) {
                return failed;
            }
        }
        return new RestoreResult(kept[0]);
    }

    /**
     * Stores what {@code rule} makes of {@code pushed} as a write of this topology: replicated to the segment's other
     * write owners and stored once they all took it, under the key's lock, as a commit. Null when done, else the
     * refusal.
     */
    private GridMessage keepOne(long topologyId, SessionRecord pushed, KeepRule rule, int[] kept) {
        SessionKey key = pushed.key();
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
                SessionRecord next = rule.keep(pushed, here);
                if (next == null) {
                    return null;
                }
                if (next == here) {
                    kept[0]++;
                    return null;
                }
                List<Member> owners = backups.allInView(t, segment);
                if (owners == null) {
                    return new Retry(t.id());
                }
                int[] applied = {0, 0};
                GridMessage failed = backups.replicate(t, owners, RecordChanges.whole(next), next, applied);
                if (applied[1] > 0) {
                    // A backup holds an end of the session that this primary missed: the end stands, as for a commit.
                    adoptEnd(t, owners, key, null, next, CommitKind.CREATE);
                    return null;
                }
                if (failed != null) {
                    return failed;
                }
                if (stopped.getAsBoolean()) {
                    return new Failure("member stopped or cut off from the majority");
                }
                records.put(next);
                kept[0]++;
                return null;
            } finally {
                topology.exitChange();
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link Replicator#read(ReadRequest, String, boolean)}. */
    GridMessage read(ReadRequest req, String senderId, boolean mayWait) {
        if (!mayWait) {
            if (req.topologyId() != topology.id()) {
                return null;
            }
        } else {
            GridMessage refused = fence.check(req.topologyId());
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
            holders.add(req.key(), senderId);
        }
        if (r.version() == req.knownVersion()) {
            return new ReadReply(ReadStatus.NOT_MODIFIED, null);
        }
        return new ReadReply(ReadStatus.CHANGES, r.changesSince(req.knownVersion()));
    }

    /** See {@link Replicator#touch}. */
    void touch(TouchBatch batch) {
        Topology t = topology.get();
        Member me = messenger.self();
        Map<Member, List<Touch>> forward = new HashMap<>();
        for (Touch touch : batch.touches()) {
            SessionRecord r = records.compute(touch.key(), (k, old) -> old == null || old.isTombstone()
                    || old.meta().lastAccessedTime() >= touch.accessTime() ? old
                    : old.withMeta(old.meta().withLastAccessedTime(touch.accessTime()), old.version()));
            if (r == null || batch.forwarded() || t == null) {
                continue;
            }
            int segment = records.segmentOf(touch.key());
            if (me.equals(t.primary(segment))) {
                for (Member b : backups.live(t, segment)) {
                    forward.computeIfAbsent(b, x -> new ArrayList<>()).add(touch);
                }
            }
        }
        backups.forward(forward);
    }
}
