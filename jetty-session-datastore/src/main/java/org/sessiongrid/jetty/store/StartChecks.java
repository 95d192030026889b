package org.sessiongrid.jetty.store;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.session.SessionManager;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.jetty.request.HandlerPlacement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The setup a store's promises depend on, checked when it starts: a setup that would silently serve
 * stale sessions (a change saved only after the client had its answer) or run requests without their
 * session makes the start fail with a message that names the problem and the fix.
 */
final class StartChecks {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridDataStore.class);

    private StartChecks() {
    }

    /**
     * The context's cache must save a changed session when the response is committed: with
     * {@code flushOnResponseCommit=false} Jetty saves it only when the request ends, after the client
     * has its answer, and the user's next request on another node reads the session without it.
     */
    static void requireSaveAtCommit(SessionManager manager, String what) {
        SessionCache cache = manager.getSessionCache();
        if (cache != null && !cache.isFlushOnResponseCommit()) {
            throw new IllegalStateException(what + " needs its session cache to save changed sessions before the"
                    + " response is sent, but " + cache.getClass().getSimpleName() + " has flushOnResponseCommit=false:"
                    + " a change would reach the grid only after the client had its answer, and the user's next"
                    + " request on another node would not see it. Fix: set flushOnResponseCommit to true (Jetty's"
                    + " default; jetty-home: jetty.session.flushOnResponseCommit=true; embedded:"
                    + " setFlushOnResponseCommit(true) on the session cache or its factory)");
        }
    }

    /**
     * SessionGridRequestHandler must be in front of the context's session handler.
     *
     * @return true if that was verified; false if the session handler is not in the server's tree
     *         yet (logged; requests are then checked as they come)
     * @throws IllegalStateException if it is missing or misplaced
     */
    static boolean requireRequestHandler(SessionManager manager, String what) {
        Server server = manager instanceof Handler h ? h.getServer() : null;
        HandlerPlacement.Verdict verdict = server == null ? HandlerPlacement.Verdict.NOT_IN_TREE
                : HandlerPlacement.of(server, (Handler) manager);
        switch (verdict) {
            case IN_FRONT -> {
                return true;
            }
            case NOT_IN_TREE -> {
                LOG.warn("{}: every request of it is checked instead", HandlerPlacement.problem(verdict, server,
                        manager instanceof Handler h ? h : null, what));
                return false;
            }
            default -> throw new IllegalStateException(HandlerPlacement.problem(verdict, server, (Handler) manager,
                    what));
        }
    }

    /**
     * lockingMode needs a cache that takes the lock before it loads the session (the SessionGrid cache
     * says so to the store before the store starts).
     */
    static void requireLockingCache(SessionManager manager, LockingMode mode, boolean cacheTakesRequestLocks) {
        SessionCache cache = manager.getSessionCache();
        if (!cacheTakesRequestLocks) {
            throw new IllegalStateException("SessionGrid setting lockingMode=\"" + mode + "\" needs the session cache"
                    + " org.sessiongrid.jetty.cache.SessionGridSessionCache (it takes the lock before it loads the"
                    + " session), but this context uses " + (cache == null ? "none" : cache.getClass().getName())
                    + ": register a SessionGridSessionCacheFactory (and no session-cache-* module), or remove"
                    + " lockingMode");
        }
    }

    /** Every member of the cluster needs a name of its own; a worker name other than it is only worth a line. */
    static void requireUniqueMember(SessionGrid g, GridConfig config, String worker) {
        long same = g.members().stream().filter(m -> m.equals(g.memberName())).count();
        if (same > 1) {
            throw new IllegalStateException("SessionGrid member name '" + g.memberName() + "' is used by another member"
                    + " of cluster " + config.clusterName() + ": give every node a unique"
                    + " jetty.sessionIdManager.workerName (or sessiongrid.nodeName)");
        }
        if (worker != null && !worker.isBlank() && !worker.equals(config.nodeName())) {
            LOG.info("Jetty workerName {} differs from SessionGrid member name {}; both must be unique in the farm",
                    worker, config.nodeName());
        }
    }
}
