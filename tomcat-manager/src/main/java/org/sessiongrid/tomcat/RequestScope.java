package org.sessiongrid.tomcat;

import java.util.ArrayList;
import java.util.List;

import org.sessiongrid.grid.SessionLock;

/**
 * What one request did with grid sessions: the sessions it used (refreshed once, committed at its
 * end) and the session lock it holds. Bound to the request thread while the request runs in the
 * pipeline, and kept in a request note across async dispatches.
 */
final class RequestScope {

    /** Request note under which the scope survives async dispatches. */
    static final String NOTE = "org.sessiongrid.tomcat.RequestScope";

    private static final ThreadLocal<RequestScope> CURRENT = new ThreadLocal<>();

    private final List<GridSession> sessions = new ArrayList<>(2);
    SessionGridManager lockManager;
    String lockedKey;
    SessionLock lock;
    boolean asyncListenerAdded;
    private boolean finished;

    static RequestScope current() {
        return CURRENT.get();
    }

    /** Binds this scope to the thread; returns what was bound before. */
    RequestScope bind() {
        RequestScope previous = CURRENT.get();
        CURRENT.set(this);
        return previous;
    }

    static void restore(RequestScope previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }

    /** True if the session was already refreshed in this request (no second round trip). */
    synchronized boolean contains(GridSession s) {
        for (GridSession x : sessions) {
            if (x == s) {
                return true;
            }
        }
        return false;
    }

    synchronized void add(GridSession s) {
        if (!contains(s)) {
            sessions.add(s);
            s.requestsInFlight.incrementAndGet();
        }
    }

    synchronized List<GridSession> sessions() {
        return new ArrayList<>(sessions);
    }

    /** Marks the scope finished; true only for the first caller (async completion may race). */
    synchronized boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        return true;
    }
}
