package org.sessiongrid.jetty.cache;

import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.server.Context;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionLockTimeoutException;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the cache does first when a request looks its session up, before the copy is checked or
 * loaded: it makes sure the request came through {@link SessionGridRequestHandler}, and takes the
 * session's cluster-wide lock ({@code lockingMode}), which the request scope releases when the request
 * completes, after the session was written back.
 */
final class RequestEntry {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridSessionCache.class);

    private RequestEntry() {
    }

    /**
     * Fails a request that did not come through {@link SessionGridRequestHandler}, when the handler's
     * place could not be checked at the store's start (the context was not in the server's handler
     * tree then).
     *
     * @param reported set once the failure was logged, so that it is logged once per context
     * @throws SessionGridRequestHandler.HandlerMissing answered 500, naming the problem and the fix
     */
    static void requireRequestHandler(SessionGridDataStore store, AtomicBoolean reported) {
        String problem = store.unverifiedPlacement();
        if (problem != null && SessionGridRequestHandler.current() == null) {
            if (reported.compareAndSet(false, true)) {
                LOG.error("Requests to {} fail: {}", store.namespace(), problem);
            }
            throw new SessionGridRequestHandler.HandlerMissing(problem);
        }
    }

    /**
     * Takes session {@code id}'s lock for the request this thread is handling, if the store's
     * {@code lockingMode} applies to it.
     *
     * @throws SessionGridRequestHandler.LockRefused if the lock stayed taken for {@code lockTimeout}
     *                                               or the grid could not be asked
     */
    static void lockForRequest(SessionGridDataStore store, String id) {
        SessionGridRequestHandler.LockScope scope = SessionGridRequestHandler.current();
        LockingMode mode = store.lockingMode();
        if (scope == null || mode.isNone() || !mode.appliesTo(pathInContext(scope.path()))) {
            return;
        }
        SessionLock lock;
        try {
            lock = store.lockForRequest(id);
        } catch (SessionGoneException e) {
            return; // nothing to lock: Jetty finds no session and may make a new one
        } catch (SessionLockTimeoutException e) {
            throw SessionGridRequestHandler.refusal(new SessionGridRequestHandler.LockRefused("session " + id + " of "
                    + store.namespace() + " stayed locked by other requests for lockTimeout=" + store.lockTimeout()
                    + " ms (lockingMode=" + mode + "); raise lockTimeout if requests of one user legitimately"
                    + " take longer"));
        } catch (RuntimeException e) {
            throw SessionGridRequestHandler.refusal(new SessionGridRequestHandler.LockRefused("the lock of session "
                    + id + " of " + store.namespace() + " could not be taken (lockingMode=" + mode + "): "
                    + e.getMessage()));
        }
        Runnable release = () -> store.releaseRequestLock(id, lock);
        if (!scope.onClose(release)) {
            release.run();
        }
    }

    /** A request path relative to the context handling it ({@code lockingMode=uriPattern:} matches this). */
    private static String pathInContext(String path) {
        Context ctx = ContextHandler.getCurrentContext();
        String ctxPath = ctx == null ? null : ctx.getContextPath();
        if (path == null || ctxPath == null || ctxPath.isEmpty() || ctxPath.equals("/")) {
            return path;
        }
        return path.startsWith(ctxPath) ? path.substring(ctxPath.length()) : path;
    }
}
