package org.sessiongrid.tomcat;

import org.apache.catalina.connector.Request;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.grid.SessionLock;

/**
 * The session lock of a request, where {@code lockingMode} applies to it: taken when the request enters the valve,
 * held in its {@link RequestScope}, and named by the commits of that session so that they reach the grid under it.
 *
 * <p>Holds no state of its own: the lock is the scope's, and the settings the manager's {@link GridBinding}.
 */
final class RequestLocks {

    private final SessionGridManager manager;

    RequestLocks(SessionGridManager manager) {
        this.manager = manager;
    }

    /** Takes the session lock when lockingMode applies to this request. */
    void begin(Request request, RequestScope scope) {
        String id = request.getRequestedSessionId();
        GridBinding b = manager.bound();
        if (id == null || b == null || b.lockingMode().isNone()) {
            return;
        }
        String uri = request.getDecodedRequestURI();
        String path = request.getContextPath();
        String relative = uri != null && path != null && uri.startsWith(path) ? uri.substring(path.length()) : uri;
        if (!b.lockingMode().appliesTo(relative)) {
            return;
        }
        try {
            scope.lock = b.store().lock(id, b.lockTimeout());
            scope.lockedKey = SessionGridManager.key(id);
            scope.lockManager = manager;
        } catch (SessionGoneException e) {
            // No such session: nothing to lock; the request will start a new one.
        }
    }

    /**
     * Whether this request's changes reach the grid the way {@code lockingMode} and the request's
     * session lock say: the lock this scope holds for {@code s}, if any.
     */
    SessionLock lockFor(RequestScope scope, GridSession s) {
        return scope.lockManager == manager && SessionGridManager.key(s.getIdInternal()).equals(scope.lockedKey)
                ? scope.lock : null;
    }
}
