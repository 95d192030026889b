package org.sessiongrid.jetty.store;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import org.eclipse.jetty.session.SessionContext;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.UnwriteableSessionDataException;
import org.sessiongrid.grid.GridUnavailableException;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionExistsException;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionLockLostException;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a measured change of one context's session to the grid: a commit on the record this node saw
 * (under the session lock a request on this node holds, if any), the first save of a session Jetty made (a create
 * that never overwrites), a session written back whole when its record vanished, and invalidations.
 * A write that got no answer because its primary died is tried once more against the new primary where
 * that is safe (a create with the same operation id, an invalidation). A write refused because the
 * session was invalidated elsewhere is dropped: a request that outlived an invalidation must not bring
 * the session back (Jetty issue #3277).
 */
final class RecordWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridDataStore.class);

    private final SessionStore sessions;
    private final String namespace;
    private final SessionContext context;
    private final AttributeDiff diff;
    private final LockingMode lockingMode;
    private final long remoteTimeout;
    /** Jetty's grace period, in seconds, that the grid's timeout adds to Jetty's. */
    private final IntSupplier gracePeriodSec;

    /**
     * Session locks held by requests on this node (lockingMode): at most one per session, because
     * a second locking request for it waits for the lock at the primary before Jetty hands it the
     * session. Write-backs of the session commit under it.
     */
    private final Map<String, SessionLock> held = new ConcurrentHashMap<>();

    RecordWriter(SessionStore sessions, String namespace, SessionContext context, AttributeDiff diff,
                 LockingMode lockingMode, long remoteTimeout, IntSupplier gracePeriodSec) {
        this.sessions = sessions;
        this.namespace = namespace;
        this.context = context;
        this.diff = diff;
        this.lockingMode = lockingMode;
        this.remoteTimeout = remoteTimeout;
        this.gracePeriodSec = gracePeriodSec;
    }

    /**
     * True if a save of {@code md} over {@code base} (whose Jetty metadata is {@code baseMd}) would change
     * nothing but the access time, and the record other nodes judge expiry from stays fresh enough without
     * it: the access time then reaches the primary batched ({@code accessTimeGranularity}) instead of
     * costing a synchronous write.
     */
    boolean onlyAccessMoved(JettyMetadata md, JettyMetadata baseMd, SessionRecord base, long now) {
        return md.sameExceptAccess(baseMd)
                && gridMaxInactive(md.maxInactiveMs()) == base.meta().maxInactiveInterval()
                && now - baseMd.writeTime() < freshnessMillis(md.maxInactiveMs())
                // Other nodes judge expiry from the record until the batched touch arrives: a request
                // that outlasted much of the timeout (a failover held it) must not leave them a record
                // that is already, or nearly, expired.
                && (md.maxInactiveMs() <= 0
                || JettyMetadata.expiryOf(base, baseMd) - now >= freshnessMillis(md.maxInactiveMs()));
    }

    /**
     * The grid's timeout for a session: Jetty's plus the grace period, so that the grid's own expiry
     * comes after Jetty's scavenger had its chance.
     */
    int gridMaxInactive(long maxInactiveMs) {
        if (maxInactiveMs <= 0) {
            return 0;
        }
        long seconds = (maxInactiveMs + 999) / 1000 + Math.max(0, gracePeriodSec.getAsInt());
        return (int) Math.min(Integer.MAX_VALUE, seconds);
    }

    /** How long a written copy stays good enough for other nodes that only see it, not the touches. */
    private static long freshnessMillis(long maxInactiveMs) {
        return maxInactiveMs <= 0 ? Long.MAX_VALUE : maxInactiveMs / 2;
    }

    /** Takes session {@code id}'s lock for a request on this node; its saves commit under it until {@link #unlock}. */
    SessionLock lock(String id, long timeout) {
        SessionLock lock = sessions.lock(id, timeout);
        held.put(id, lock);
        return lock;
    }

    void unlock(String id, SessionLock lock) {
        held.remove(id, lock);
        lock.close();
    }

    SessionLock heldLock(String id) {
        return held.get(id);
    }

    /**
     * Commits {@code delta} on {@code base}, under the session's lock if a request here holds it.
     *
     * @return the stored record, or null if the session was invalidated elsewhere (the write is refused)
     */
    SessionRecord commit(String id, SessionData data, SessionDelta.Builder delta, SessionRecord base, long now)
            throws Exception {
        SessionLock lock = held.get(id);
        try {
            return lock == null ? sessions.commit(id, delta.build(), base) : sessions.commit(id, delta.build(), base, lock);
        } catch (SessionLockLostException e) {
            // The lock was taken from this request (its lease ended by a failover): the change
            // is not applied; Jetty keeps the session dirty and reports the failed write.
            throw new UnwriteableSessionDataException(id, context, new IOException("the session's lock"
                    + " (lockingMode=" + lockingMode + ") was lost before the request's changes were saved: "
                    + e.getMessage(), e));
        } catch (SessionGoneException e) {
            if (e.invalidated()) {
                refused(id);
                return null;
            }
            // The record is gone without a tombstone (its owners all failed): write it back whole.
            return create(id, data, whole(data, now), now);
        }
    }

    /**
     * The first save of a session Jetty made: a create that never falls back to a commit. If a live
     * record exists under the id, this node's session is not the user's (Jetty made it because the
     * grid could not produce the user's, or under an id in use): the save fails and this node's copy
     * is marked stale, so that the next request drops it and loads the stored session.
     *
     * <p>A create that fails with {@link GridUnavailableException} after the topology changed (its
     * primary died while it waited for the answer) is tried once more, against the new primary. The
     * first attempt may have been applied at a backup that is now the primary; the retry then finds
     * the id taken, and both attempts carry the same operation id, so the grid answers the retry with
     * the record the first attempt stored; someone else's session under the id is still refused.
     */
    SessionRecord createNew(String id, SessionData data, SessionDelta.Builder delta) throws Exception {
        delta.creationTime(data.getCreated());
        SessionDelta initial = delta.build();
        long topologyBefore = sessions.owners(id).topologyId();
        long opId = ThreadLocalRandom.current().nextLong() | 1;
        boolean retry = false;
        while (true) {
            try {
                SessionRecord made = sessions.create(id, initial, opId);
                if (retry) {
                    LOG.info("First save of new session {} of {} stored after the failover (version {})", id,
                            namespace, made.version());
                }
                return made;
            } catch (GridUnavailableException e) {
                if (retry) {
                    throw e;
                }
                long topologyNow = awaitTopologyAfter(id, topologyBefore);
                if (topologyNow == topologyBefore) {
                    throw e;
                }
                retry = true;
                LOG.info("First save of new session {} of {} got no answer within remoteTimeout (topology {} -> {});"
                        + " trying once more against the new primary", id, namespace, topologyBefore, topologyNow);
            } catch (SessionExistsException e) {
                throw notNew(id, data, e);
            }
        }
    }

    private UnwriteableSessionDataException notNew(String id, SessionData data, SessionExistsException e) {
        String never = SessionGridDataStore.NEVER_OVERWRITES;
        SessionRecord current;
        try {
            current = sessions.find(id, null);
        } catch (RuntimeException e2) {
            return new UnwriteableSessionDataException(id, context, new IOException("a session with id " + id
                    + " already exists in the grid (or did); " + never + ": " + e.getMessage(), e));
        }
        if (current == null) {
            // A tombstone (ended moments ago), or the grid still settling after a failover:
            // a new session must not be reported saved when the grid holds nothing under it.
            return new UnwriteableSessionDataException(id, context, new IOException("the grid refuses a new"
                    + " session with id " + id + " (ended moments ago, or another node's create of it is"
                    + " not readable yet); " + never));
        }
        diff.notCurrent(id, data, current);
        LOG.warn("New session {} of {} not saved: a session with this id exists in the grid (version {}); a"
                + " new session never overwrites it, and this node's copy is dropped at its next request", id,
                namespace, current.version());
        return new UnwriteableSessionDataException(id, context, new IOException("a session with id " + id
                + " already exists in the grid; " + never));
    }

    /**
     * Creates the record of a session Jetty saved before (its record is gone), or, when a concurrent
     * first save created it meanwhile, writes this copy over it whole.
     *
     * @return the stored record, or null if the session was invalidated (a tombstone refuses it)
     */
    SessionRecord create(String id, SessionData data, SessionDelta.Builder delta, long now) throws Exception {
        delta.creationTime(data.getCreated());
        try {
            return sessions.create(id, delta.build());
        } catch (SessionExistsException e) {
            // Either a concurrent first save of the same session, or a tombstone: tell them apart.
            SessionRecord current = sessions.find(id, null);
            if (current == null) {
                refused(id);
                return null;
            }
            SessionDelta.Builder whole = whole(data, now);
            current.attributes().keySet().stream().filter(n -> data.getAttribute(n) == null).forEach(whole::remove);
            return sessions.commit(id, whole.build(), current);
        }
    }

    private SessionDelta.Builder whole(SessionData data, long now) throws UnwriteableSessionDataException {
        JettyMetadata md = JettyMetadata.of(data, now);
        SessionDelta.Builder b = SessionDelta.builder().containerData(md.encode()).lastAccessedTime(now)
                .maxInactiveInterval(gridMaxInactive(md.maxInactiveMs()));
        try {
            return diff.allAttributes(b, data);
        } catch (IOException e) {
            throw new UnwriteableSessionDataException(data.getId(), context, e);
        }
    }

    /**
     * Invalidates the session in the whole cluster (idempotent), by a request that read {@code base}
     * (null: none, which ends whatever the session became). If its primary died while this waited, once
     * more against the new primary; else the caller learns that the session was not ended.
     *
     * @throws org.sessiongrid.grid.SessionFencedException if the request read {@code base} before a
     *         failover this member did not see and the session changed since (it was not ended)
     */
    boolean invalidate(String id, SessionRecord base) throws InterruptedException {
        long topology = sessions.owners(id).topologyId();
        try {
            return sessions.invalidate(id, base);
        } catch (GridUnavailableException e) {
            long now = awaitTopologyAfter(id, topology);
            if (now == topology) {
                throw e;
            }
            LOG.info("Invalidation of session {} of {} got no answer within remoteTimeout (topology {} -> {});"
                    + " trying once more against the new primary", id, namespace, topology, now);
            return sessions.invalidate(id, base);
        }
    }

    /**
     * Moves the session to {@code newId} (the old id ends), by a request that read {@code base}.
     *
     * @return the record under the new id
     * @throws org.sessiongrid.grid.SessionFencedException if the request read {@code base} before a
     *         failover this member did not see and the session changed since (nothing was moved)
     * @throws SessionGoneException if the old id holds no live session
     */
    SessionRecord changeId(String oldId, String newId, SessionRecord base) {
        return sessions.changeId(oldId, newId, base);
    }

    /**
     * Waits, at most {@code remoteTimeout}, for the grid to install a topology newer than
     * {@code topology} (a dead primary is replaced only once failure detection removed it, which
     * may take longer than the write waited), and returns the topology id then.
     */
    private long awaitTopologyAfter(String id, long topology) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(remoteTimeout);
        long now = sessions.owners(id).topologyId();
        // The grid offers no topology listener to adapters; a short poll bounded by the deadline.
        while (now == topology && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
            now = sessions.owners(id).topologyId();
        }
        return now;
    }

    private void refused(String id) {
        LOG.info("Session {} of {} was invalidated elsewhere; the write-back of a request that was still using it"
                + " is refused", id, namespace);
    }
}
