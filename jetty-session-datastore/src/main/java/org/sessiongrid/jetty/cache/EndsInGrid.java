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
 * A request's invalidation and id change, decided by the grid before Jetty runs the listeners
 * ({@link SessionGridDataStore#invalidateAsRead}, {@link SessionGridDataStore#changeId}). When the grid refuses (the request read its session
 * before a failover this member did not see, and the user went on using it elsewhere; or the grid did not
 * answer), the session did not end: no listener runs, the copy leaves this node's cache and is never saved
 * (the next request reads what the grid holds), and the request is answered 503 with {@code Retry-After},
 * as a refused save is. One WARN line per refusal.
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
     * Ends {@code s} in the grid for an invalidation in a request, unless Jetty judged it expired (its
     * expiry is announced as before) or it is not valid (Jetty answers that itself).
     *
     * @return true if Jetty's invalidation may run (and fire the listeners); false if the grid refused
     */
    boolean invalidate(SessionGridDataStore store, ManagedSession s) {
        if (SessionGridRequestHandler.current() == null) {
            return true; // no request to answer a refusal to: the store's delete ends it, as it always did
        }
        try (AutoLock ignored = s.lock()) {
            if (!s.isValid() || s.isExpiredAt(System.currentTimeMillis())) {
                return true;
            }
            try {
                store.invalidateAsRead(s.getId(), s.getSessionData());
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                refuse(store, s, "invalidation", "the invalidation of session " + s.getId() + " was interrupted");
                return false;
            } catch (GridException e) {
                refuse(store, s, "invalidation", e.getMessage());
                return false;
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
            if (SessionGridRequestHandler.current() == null) {
                throw e;
            }
            refuse(store, s, "id change", e.getMessage());
            return Move.REFUSED;
        }
    }

    private void refuse(SessionGridDataStore store, ManagedSession s, String what, String why) {
        String id = s.getId();
        LOG.warn("The {} of session {} of {} was not done in the grid; no listener runs and the client gets"
                + " a 503: {}", what, id, store.namespace(), why);
        abandon.accept(s);
        copies.drop(s, "the grid refused its " + what + "; the next request reads what the grid holds");
        SessionGridRequestHandler.LockScope scope = SessionGridRequestHandler.current();
        if (scope != null) {
            scope.fail(why);
        }
    }
}
