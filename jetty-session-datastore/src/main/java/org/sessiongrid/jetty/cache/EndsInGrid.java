package org.sessiongrid.jetty.cache;

import java.util.function.Consumer;

import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.util.thread.AutoLock;
import org.sessiongrid.grid.GridException;
import org.sessiongrid.jetty.copies.CachedCopies;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An invalidation and an id change, decided by the grid before Jetty runs the listeners
 * ({@link SessionGridDataStore#invalidateAsRead}, {@link SessionGridDataStore#changeId}). When the grid refuses (the copy was read
 * before a failover this member did not see, and the user went on using the session elsewhere; or the grid did
 * not answer), the session did not end: no listener runs, the copy leaves this node's cache and is never saved
 * (the next request reads what the grid holds), and a request is answered 503 with {@code Retry-After}, as a
 * refused save is; outside a request the caller gets the refusal. One WARN line per refusal.
 */
final class EndsInGrid {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridSessionCache.class);

    /** What became of an id change in the grid. */
    enum Move {
        /** The grid moved the record: the copy goes on under the new id with the moved record as its base. */
        MOVED,
        /** The grid holds nothing of the copy: Jetty's way, its next save writes it whole under the new id. */
        NOT_IN_GRID,
        /** Refused: the id stays, the copy was dropped and the request gets a 503. */
        REFUSED
    }

    private final CachedCopies copies;
    /** Marks a copy never to be saved again (the cache's abandoned copies). */
    private final Consumer<ManagedSession> abandon;

    EndsInGrid(CachedCopies copies, Consumer<ManagedSession> abandon) {
        this.copies = copies;
        this.abandon = abandon;
    }

    /**
     * Ends {@code s} in the grid for an invalidation, unless Jetty judged it expired (its expiry is announced
     * as before) or it is not valid (Jetty answers that itself). In a request a refusal becomes the request's
     * 503; outside one (an application thread ending a session it holds) it is thrown to the caller, as
     * Tomcat's adapter does: an end decided on a copy from before a failover must not end a session the user
     * went on using, whoever asks, and the caller can read the session again and retry.
     *
     * @return true if Jetty's invalidation may run (and fire the listeners); false if the grid refused
     * @throws GridException outside a request, if the grid refused
     */
    boolean invalidate(SessionGridDataStore store, ManagedSession s) {
        try (AutoLock ignored = s.lock()) {
            if (!s.isValid() || s.isExpiredAt(System.currentTimeMillis())) {
                return true;
            }
            try {
                store.invalidateAsRead(s.getId(), s.getSessionData());
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return refuse(store, s, "invalidation", new GridException(
                        "the invalidation of session " + s.getId() + " was interrupted"));
            } catch (GridException e) {
                return refuse(store, s, "invalidation", e);
            }
        }
    }

    /**
     * Moves {@code s} to {@code newId} in the grid; the caller holds its lock and swaps the cache's entry.
     * A refusal outside a request (no client to answer 503 to) is thrown to Jetty, which logs it.
     */
    Move changeId(SessionGridDataStore store, ManagedSession s, String newId) {
        SessionData data = s.getSessionData();
        try {
            return store.changeId(s.getId(), newId, data) ? Move.MOVED : Move.NOT_IN_GRID;
        } catch (GridException e) {
            refuse(store, s, "id change", e);
            return Move.REFUSED;
        }
    }

    /**
     * The grid refused {@code what}: no listener runs and the copy leaves the cache, never saved again. In a
     * request the client gets a 503; outside one the refusal is thrown to the caller.
     *
     * @return false (Jetty's end does not run), for a request
     */
    private boolean refuse(SessionGridDataStore store, ManagedSession s, String what, GridException refusal) {
        String id = s.getId();
        abandon.accept(s);
        copies.drop(s, "the grid refused its " + what + "; the next request reads what the grid holds");
        SessionGridRequestHandler.LockScope scope = SessionGridRequestHandler.current();
        if (scope == null) {
            LOG.warn("The {} of session {} of {} outside a request was not done in the grid; no listener runs and"
                    + " the caller gets the refusal: {}", what, id, store.namespace(), refusal.getMessage());
            throw refusal;
        }
        LOG.warn("The {} of session {} of {} was not done in the grid; no listener runs and the client gets"
                + " a 503: {}", what, id, store.namespace(), refusal.getMessage());
        scope.fail(refusal.getMessage());
        return false;
    }
}
