package org.sessiongrid.jetty.cache;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.util.thread.AutoLock;
import org.sessiongrid.grid.GridUnavailableException;
import org.sessiongrid.jetty.copies.CachedCopies;
import org.sessiongrid.jetty.copies.LocalCopies;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.request.UnavailableSession;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's {@link DefaultSessionCache} that never hands a request a stale copy: when a request
 * arrives for a session this node holds and no other request here is using it, the cache asks the
 * {@link SessionGridDataStore} whether the copy is still current (a memory check when this node is
 * the session's primary, the usual case with a sticky balancer; else one small round trip to the
 * primary) and, if another node changed or ended the session meanwhile, drops the copy and loads
 * the current one.
 *
 * <p>This is what keeps sticky and non-sticky farms coherent with a caching node: Jetty's own
 * stores leave stale copies in other nodes' caches (Jetty issues #2907, #3277, #4646). Jetty's
 * session API has no hook by which a store could refresh the cache, hence this cache class; with
 * Jetty's plain {@code DefaultSessionCache} a node may serve its older copy after another node
 * changed the session, so use this cache (or {@code NullSessionCache}) with a non-sticky balancer.
 *
 * <p>A changed session is saved when Jetty commits the response ({@code flushOnResponseCommit}, on by
 * default and required by the store), before any byte of it leaves ({@link #commit}); a save that
 * fails there makes {@link SessionGridRequestHandler} answer 503 instead of Jetty's 200, and the copy
 * whose save failed is dropped when its last request leaves. A change made after the response was
 * committed is saved when the request ends, counted ({@code LateCommits}) and logged at DEBUG.
 *
 * <p>The cache owns this node's copies: the store tells it what it learns from the grid (a session
 * changed elsewhere, ended: {@link LocalCopies}) and the cache drops its copies, never one a request
 * is using unless the session's listeners fire elsewhere; and with {@code lockingMode} it takes each
 * request's session lock before it checks or loads the copy.
 */
public class SessionGridSessionCache extends DefaultSessionCache implements LocalCopies {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridSessionCache.class);

    /** This cache's copies, and the one way a stale one leaves it; counts drops, to tell a drop from a deletion. */
    private final CachedCopies copies = new CachedCopies(this);

    /** Set once a request without the request handler in front was refused and logged. */
    private final AtomicBoolean reportedMissingHandler = new AtomicBoolean();

    /**
     * Copies whose save before the response failed (the client got a 503): never saved afterwards
     * (not the failed change, nor a new session whose cookie the client never got), and dropped
     * when their last request leaves, so that the next request loads what the grid holds.
     */
    private final Set<ManagedSession> abandoned = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));

    /** A request's invalidation and id change, asked of the grid before Jetty runs the listeners. */
    private final EndsInGrid ends = new EndsInGrid(copies, abandoned::add);

    public SessionGridSessionCache(SessionManager manager) {
        super(manager);
    }

    /** Jetty's session object, whose invalidation asks the grid first ({@link #endsInGrid}). */
    @Override
    public ManagedSession newSession(SessionData data) {
        return new SessionGridManagedSession(getSessionManager(), data, this);
    }

    /**
     * Called by a session's {@code invalidate()} before Jetty runs the listeners: in a request, the grid
     * ends the session unless the request read it before a failover this member did not see and the user
     * went on using it elsewhere ({@link EndsInGrid}).
     *
     * @return false if the grid refused: the session goes on, no listener runs and the request gets a 503
     */
    boolean endsInGrid(ManagedSession session) {
        return !(getSessionDataStore() instanceof SessionGridDataStore store) || ends.invalidate(store, session);
    }

    /**
     * Jetty's id change, with the grid moving the record (fenced as an invalidation is) instead of the
     * store deleting the old id and writing the copy whole under the new one. A refused move leaves the old
     * id as it was: Jetty's session manager fires no id listener (this returns null), and the request gets
     * a 503 whose headers drop the new id's cookie.
     */
    @Override
    public ManagedSession renewSessionId(String oldId, String newId, String oldExtendedId, String newExtendedId)
            throws Exception {
        if (!(getSessionDataStore() instanceof SessionGridDataStore store)) {
            return super.renewSessionId(oldId, newId, oldExtendedId, newExtendedId);
        }
        ManagedSession session = getAndEnter(oldId, true);
        if (session == null) {
            return null;
        }
        try (AutoLock ignored = session.lock()) {
            if (session.isInvalidOrInvalidating()) { // Jetty's own check (the session is CHANGING, not VALID)
                throw new IllegalStateException("session " + oldId + " is not valid; its id cannot change");
            }
            EndsInGrid.Move move = ends.changeId(store, session, newId);
            if (move != EndsInGrid.Move.REFUSED) {
                SessionData data = session.getSessionData();
                data.setId(newId);
                if (move == EndsInGrid.Move.NOT_IN_GRID) {
                    data.setLastSaved(0); // never saved under the new id: its first save creates it there
                }
                data.setDirty(true);
                session.setExtendedId(newExtendedId);
                session.onIdChanged();
                doPutIfAbsent(newId, session);
                doDelete(oldId);
                return session;
            }
        }
        release(session);
        return null;
    }

    /** A store that takes each request's session lock through this cache learns so before it starts. */
    @Override
    protected void doStart() throws Exception {
        if (getSessionDataStore() instanceof SessionGridDataStore store) {
            store.cacheTakesRequestLocks();
        }
        super.doStart();
    }

    @Override
    public boolean holdsSessions() {
        return true;
    }

    @Override
    public SessionData copyOf(String id) {
        return copies.copyOf(id);
    }

    @Override
    public boolean inUse(String id) {
        return copies.inUse(id);
    }

    @Override
    public void changed(String id) {
        copies.changed(id);
    }

    @Override
    public void ended(String id) {
        copies.ended(id);
    }

    @Override
    public void endedElsewhere(String id) {
        copies.endedElsewhere(id);
    }

    /**
     * Jetty answers null when it finds a copy that was just made non-resident and the eviction
     * policy is NEVER_EVICT (it takes that for a deleted session). A copy this cache dropped as
     * stale is not deleted: look again, so that the request loads the current session instead of
     * being handed none (and the application making a new one, losing the user's).
     */
    @Override
    protected ManagedSession getAndEnter(String id, boolean enter) throws Exception {
        for (int attempt = 0; ; attempt++) {
            long before = copies.drops();
            ManagedSession s = super.getAndEnter(id, enter);
            if (s != null || copies.drops() == before || attempt >= 3) {
                return s;
            }
        }
    }

    @Override
    public ManagedSession get(String id) throws Exception {
        if (!(getSessionDataStore() instanceof SessionGridDataStore store)) {
            return super.get(id);
        }
        RequestEntry.requireRequestHandler(store, reportedMissingHandler);
        // lockingMode: the lock first, so that the copy is checked (and loaded) under it.
        RequestEntry.lockForRequest(store, id);
        ManagedSession s = doGet(id);
        if (s != null) {
            dropIfStale(store, id, s);
        }
        ManagedSession found;
        try {
            found = super.get(id);
        } catch (Exception e) {
            if (gridUnavailable(e)) {
                throw unavailable(id, e);
            }
            throw e;
        }
        UnavailableSession.forget(id);
        if (found != null) {
            keepIfArrivedInTime(found);
        }
        return found;
    }

    /**
     * A request that arrived while its session was alive keeps it, even if the grid took longer than
     * the session's remaining time to produce it (a failover can hold a load for remoteTimeout):
     * Jetty judges expiry when the load returns and would end the session and start a new one. Only
     * with {@link SessionGridRequestHandler} in front, which knows when the request arrived.
     */
    private void keepIfArrivedInTime(ManagedSession session) {
        SessionGridRequestHandler.LockScope scope = SessionGridRequestHandler.current();
        if (scope == null) {
            return;
        }
        try (AutoLock ignored = session.lock()) {
            long now = System.currentTimeMillis();
            var data = session.getSessionData();
            if (session.isValid() && data.isExpiredAt(now) && !data.isExpiredAt(scope.arrivedAt())) {
                long arrivedBefore = data.getExpiry() - scope.arrivedAt();
                data.calcAndSetExpiry(now);
                LOG.info("Session {} expired while the grid produced it for a request that arrived {} ms before its"
                        + " expiry; the request keeps it", session.getId(), arrivedBefore);
            }
        }
    }

    /**
     * Jetty's save right before the response is committed ({@code flushOnResponseCommit}): a changed
     * session reaches the grid before any byte of the response leaves, whichever way the response
     * gets committed. A failed save is not only logged, as Jetty would: it is reported to
     * {@link SessionGridRequestHandler}, which sends a 503 in place of the response, and the copy is
     * abandoned: never saved afterwards (not the failed change, nor a new session whose cookie the
     * client never gets) and dropped when its last request leaves.
     */
    @Override
    public void commit(ManagedSession session) throws Exception {
        if (session == null || !(getSessionDataStore() instanceof SessionGridDataStore)) {
            super.commit(session);
            return;
        }
        try (AutoLock ignored = session.lock()) {
            if (abandoned.contains(session)) {
                SessionGridRequestHandler.commitFailed("an earlier save of session " + session.getId()
                        + " by a concurrent request failed; its copy is dropped");
                return;
            }
            if (!session.isValid() || !session.getSessionData().isDirty() || !isFlushOnResponseCommit()) {
                return;
            }
            session.onSessionPassivation();
            try {
                getSessionDataStore().store(session.getId(), session.getSessionData());
            } catch (Exception e) {
                abandoned.add(session);
                SessionGridRequestHandler.commitFailed(reason(e));
            } finally {
                session.onSessionActivation();
            }
        }
    }

    /** The innermost message: Jetty wraps the store's exceptions in its own. */
    private static String reason(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == failure ? String.valueOf(failure.getMessage()) : failure.getMessage() + ": " + t.getMessage();
    }

    /**
     * The last request leaving a copy whose save failed drops it instead of saving it: the client
     * was answered 503 for that change (or never got the new session's cookie).
     */
    @Override
    public void release(ManagedSession session) throws Exception {
        if (session == null || !abandoned.contains(session)) {
            releaseCountingLateChange(session);
            return;
        }
        try (AutoLock ignored = session.lock()) {
            session.release();
            if (session.getRequests() <= 0) {
                abandoned.remove(session);
                if (session.isResident()) {
                    copies.drop(session, "its save failed; the next request loads what the grid holds");
                }
            }
        }
    }

    /**
     * Jetty's release, which saves the session when its last request leaves. A change still unsaved
     * then was made after the response that would have saved it was committed ({@link #commit} saves
     * every change before that): the client had its answer before the change was stored, so a request
     * it sent meanwhile to another node did not see it. Counted and logged, then saved as always.
     */
    private void releaseCountingLateChange(ManagedSession session) throws Exception {
        if (session == null || !(getSessionDataStore() instanceof SessionGridDataStore store)) {
            super.release(session);
            return;
        }
        // One hold of the session's (reentrant) lock for the check and Jetty's release that saves.
        try (AutoLock ignored = session.lock()) {
            boolean late = session.getRequests() == 1 && session.isValid() && session.getSessionData().isDirty()
                    && isFlushOnResponseCommit();
            super.release(session);
            if (late) {
                store.lateCommit();
                LOG.debug("Session {} of {} changed after its response was committed: saved at the end of the"
                        + " request (counted in LateCommits); a request the client sent meanwhile to another node did"
                        + " not see the change", session.getId(), store.namespace());
            }
        }
    }

    /**
     * Invalidation: the grid must end the session before the client is told it ended. Jetty runs the
     * listeners first and only logs a failed delete ("Unable to delete Session"), so the client got
     * 200 for an invalidation the grid never saw and the session answered again on another node. With
     * {@link SessionGridRequestHandler} in front, a delete the grid cannot do makes the response a
     * 503; this node's copy is dropped either way, so the next request reads what the grid holds.
     */
    @Override
    public ManagedSession delete(String id) throws Exception {
        try {
            return super.delete(id);
        } catch (Exception e) {
            if (gridUnavailable(e)) {
                SessionGridRequestHandler.LockScope scope = SessionGridRequestHandler.current();
                if (scope != null) {
                    scope.fail("session " + id + " could not be invalidated in the grid: " + e.getMessage());
                }
                ManagedSession s = doGet(id);
                if (s != null) {
                    copies.drop(s, "the grid could not invalidate it; the next request reads what the grid holds");
                }
            }
            throw e;
        }
    }

    private static boolean gridUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof GridUnavailableException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The grid cannot produce session {@code id} now. Jetty's session manager turns every
     * exception of a lookup into "no session", and the application would then make a new, empty
     * session under the user's id, whose first save would replace the user's. So: with
     * {@link SessionGridRequestHandler} in front (a request scope is current), the request is
     * answered 503 before it reaches the application; without it, the failure is remembered for
     * this thread ({@link UnavailableSession}, never beyond the thread's next request), and a new
     * session under this id is refused ({@link #newSession}, 503).
     */
    private <E extends Exception> E unavailable(String id, E cause) {
        LOG.warn("Session {} could not be produced by the grid; the request fails instead of running without it: {}",
                id, cause.getMessage());
        if (SessionGridRequestHandler.current() != null) {
            throw SessionGridRequestHandler.refusal(new SessionGridRequestHandler.SessionUnavailable("session " + id
                    + " could not be read from the grid: " + cause.getMessage()));
        }
        UnavailableSession.remember(id);
        return cause;
    }

    /**
     * True for an id this thread could not load just now, so that Jetty's id manager keeps the
     * requested id and {@link #newSession} refuses it, rather than Jetty picking a new id (which
     * would silently replace the user's session with an empty one).
     */
    @Override
    public boolean exists(String id) throws Exception {
        if (UnavailableSession.is(id)) {
            return true;
        }
        return super.exists(id);
    }

    /**
     * Refuses a new session under the id of a session this thread could not load (the grid did not
     * answer): the request fails with 503 instead of replacing the user's session with an empty one.
     */
    @Override
    public ManagedSession newSession(String id, long time, long maxInactiveMs) {
        if (UnavailableSession.forget(id)) {
            throw new HttpException.RuntimeException(HttpStatus.SERVICE_UNAVAILABLE_503, "session " + id
                    + " could not be read from the grid; not starting an empty session under its id");
        }
        return super.newSession(id, time, maxInactiveMs);
    }

    private void dropIfStale(SessionGridDataStore store, String id, ManagedSession s) throws Exception {
        try (AutoLock ignored = s.lock()) {
            // A copy in use by another request here is shared with it, as Jetty always does; its
            // changes merge at the primary when that request ends.
            if (s.getRequests() > 0 || !s.isResident()) {
                return;
            }
            boolean current;
            try {
                current = store.isCurrent(id, s.getSessionData());
            } catch (RuntimeException e) {
                // The grid cannot answer (a failover beyond remoteTimeout): this node's copy may be
                // stale (another node may have changed the session), so the request fails rather
                // than reads it.
                throw unavailable(id, e);
            }
            if (!current) {
                copies.dropIfIdle(s, "changed on another node; reloading it");
            }
        }
    }
}
