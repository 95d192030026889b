package org.sessiongrid.tomcat;

import java.util.ArrayList;
import java.util.List;

import jakarta.servlet.http.HttpServletResponse;

import org.apache.catalina.Session;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.sessiongrid.grid.GridException;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one request did with grid sessions, and the two points at which it stores them.
 *
 * <ol>
 * <li><b>The commit point</b> ({@link #commitBeforeResponse}): right before Tomcat commits the
 * response ({@link CommitGate}), or at the end of the pipeline if the response is still open then.
 * Every session the request used is stored on its primary and backups before the client can see
 * any byte of the answer, so the user's next request finds the change on any node. A failure
 * replaces the answer by a 503 with {@code Retry-After}, without the session cookie of a session
 * that was not stored, and drops the copy.</li>
 * <li><b>The request's end</b> ({@link #end}): what the application changed after its response was
 * committed is stored then (a late commit: counted, logged at DEBUG), and the session lock is
 * released.</li>
 * </ol>
 *
 * <p>Bound to the request thread while the request runs in the pipeline, and kept in a request note
 * across async dispatches. The commit point may run on an application thread of an async request,
 * the end on a container thread; the two never overlap (the end follows the response's completion)
 * and the list of sessions is guarded by this scope's monitor.
 */
final class RequestScope {

    private static final Logger LOG = LoggerFactory.getLogger(RequestScope.class);

    /** Request note under which the scope survives async dispatches. */
    static final String NOTE = "org.sessiongrid.tomcat.RequestScope";

    private static final ThreadLocal<RequestScope> CURRENT = new ThreadLocal<>();

    private final List<GridSession> sessions = new ArrayList<>(2);
    SessionGridManager lockManager;
    String lockedKey;
    SessionLock lock;
    boolean asyncListenerAdded;
    /** The gate of the request's response, armed with {@link #commitBeforeResponse}. */
    CommitGate gate;
    private boolean finished;
    /** The commit point has run: what is stored after it is a late commit. */
    private volatile boolean committedBeforeResponse;
    /** A commit failed: the client was told 503, so nothing of this request is stored any more. */
    private volatile boolean failed;

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
        // set(null) rather than remove(): the request thread's entry is kept for its next request instead of
        // being made anew each time; it holds no value between requests.
        CURRENT.set(previous);
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

    /**
     * The session of {@code manager} this request already used under exactly this id, or null: what
     * {@link SessionGridManager#findSession} finds without looking the copy up again.
     */
    synchronized GridSession usedWithId(String id, SessionGridManager manager) {
        for (GridSession x : sessions) {
            if (x.getManager() == manager && id.equals(x.getIdInternal())) {
                return x;
            }
        }
        return null;
    }

    synchronized void add(GridSession s) {
        if (!contains(s)) {
            sessions.add(s);
            s.requestsInFlight.incrementAndGet();
        }
    }

    /**
     * The {@code i}-th session this request used, or null past the last. The list only grows, so a loop by index
     * sees each session once without copying the list.
     */
    synchronized GridSession sessionAt(int i) {
        return i < sessions.size() ? sessions.get(i) : null;
    }

    /** Marks the scope finished; true only for the first caller (async completion may race). */
    synchronized boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        return true;
    }

    /** Where the commit point is reached. */
    enum Point {
        /**
         * {@link CommitGate}: Tomcat is committing the response right now, the application may still
         * be running; status and headers may still be replaced, the body not.
         */
        GATE,
        /** The end of the pipeline, the response still open: a failure becomes an ordinary sendError. */
        PIPELINE_END,
        /**
         * An async request completed before its response was committed (Tomcat 10.1 completes the
         * response after the listeners): like the gate, but the application is done.
         */
        ASYNC_COMPLETE
    }

    /**
     * The grid refused a change this request made before its commit point (an invalidation or an id change
     * by work that started before a failover its member did not see): the commit point answers 503 and
     * nothing of this request is stored.
     */
    void refuseAtCommitPoint() {
        failed = true;
    }

    /** The commit point (see the class comment), reached at {@code point}. */
    void commitBeforeResponse(Request request, Response response, Point point) {
        committedBeforeResponse = true;
        if (failed) {
            refuse(response, point != Point.PIPELINE_END);
            return;
        }
        CommitStage kind = point == Point.GATE ? CommitStage.BEFORE_RESPONSE : CommitStage.WHOLE;
        includeOwn(request);
        GridSession s;
        for (int i = 0; (s = sessionAt(i)) != null; i++) {
            SessionGridManager m = (SessionGridManager) s.getManager();
            if (m == null || !s.isValid() || failed) {
                continue;
            }
            if (request.getContext() != null && request.getContext().getManager() == m) {
                m.routes().correct(request, s);
            }
            if (store(m, s, kind) == Outcome.FAILED) {
                failed = true;
                refuse(response, point != Point.PIPELINE_END);
            }
        }
    }

    /**
     * The request's end: stores what changed after the commit point (a late commit), then releases
     * the session lock. Runs once, after the response completed (or, for a request whose response is
     * still open, right after {@link #commitBeforeResponse}).
     */
    void end(Request request) {
        try {
            if (failed) {
                return;
            }
            boolean late = committedBeforeResponse;
            CommitStage kind = late ? CommitStage.LATE : CommitStage.WHOLE;
            includeOwn(request);
            GridSession s;
            for (int i = 0; (s = sessionAt(i)) != null; i++) {
                SessionGridManager m = (SessionGridManager) s.getManager();
                if (m == null || !s.isValid()) {
                    continue;
                }
                if (store(m, s, kind) == Outcome.CHANGED && late) {
                    SessionGrid g = m.getGrid();
                    if (g != null) {
                        g.stats().lateCommit();
                    }
                    LOG.debug("Session {} in {} changed after the response to {} was committed: stored at the"
                            + " request's end, where a round-robin user's next request may have missed it",
                            s.getIdInternal(), m.namespace(), request.getDecodedRequestURI());
                }
            }
        } finally {
            releaseLock();
            GridSession s;
            for (int i = 0; (s = sessionAt(i)) != null; i++) {
                s.requestsInFlight.decrementAndGet();
            }
        }
    }

    /** True once the commit point ran for this request. */
    boolean committedBeforeResponse() {
        return committedBeforeResponse;
    }

    /** Adds the request's own session if it was used on a thread without this scope. */
    private void includeOwn(Request request) {
        Session own;
        try {
            own = request.getSessionInternal(false);
        } catch (GridException e) {
            return; // the grid could not produce it: the request did not use it
        }
        if (own instanceof GridSession gs && gs.getManager() instanceof SessionGridManager) {
            add(gs);
        }
    }

    /** What storing one session's changes came to. */
    private enum Outcome { CHANGED, UNCHANGED, FAILED }

    /** Stores {@code s}'s changes; a failure is logged here. */
    private Outcome store(SessionGridManager m, GridSession s, CommitStage kind) {
        ClassLoader old = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(m.webappLoader());
        try {
            return m.commits().commit(s, m.locks().lockFor(this, s), kind) ? Outcome.CHANGED : Outcome.UNCHANGED;
        } catch (GridException e) {
            LOG.warn("Changes of session {} in {} were not saved{}: {}", s.getIdInternal(), m.namespace(),
                    kind == CommitStage.LATE ? "" : ", the client gets a 503", e.getMessage());
            return Outcome.FAILED;
        } catch (RuntimeException e) {
            LOG.error("Changes of session {} in {} were not saved{}", s.getIdInternal(), m.namespace(),
                    kind == CommitStage.LATE ? "" : ", the client gets a 503", e);
            return Outcome.FAILED;
        } finally {
            Thread.currentThread().setContextClassLoader(old);
        }
    }

    /**
     * Tells the client its change was not saved: a 503 with {@code Retry-After} in place of the
     * application's answer. While Tomcat commits the response, its status and headers (the new
     * session's cookie among them) are replaced just before Tomcat writes them, and {@code Content-Length: 0} makes Tomcat drop the
     * application's body; 503 also closes the connection.
     */
    private static void refuse(Response response, boolean committing) {
        org.apache.coyote.Response coyote = response.getCoyoteResponse();
        if (coyote.isCommitted()) {
            return; // a late commit: the client has its answer; the failure is logged
        }
        if (committing) {
            coyote.reset();
            coyote.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            coyote.setHeader("Retry-After", "1");
            coyote.setHeader("Cache-Control", "no-store");
            coyote.setContentLength(0);
            return;
        }
        try {
            response.reset();
            response.setHeader("Retry-After", "1");
            response.setHeader("Cache-Control", "no-store");
            response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        } catch (java.io.IOException | IllegalStateException ignored) {
            // The client sees the connection end instead.
        }
    }

    private void releaseLock() {
        SessionLock l = lock;
        lock = null;
        if (l != null) {
            try {
                l.close();
            } catch (GridException e) {
                // The primary frees the lock of a holder that stays away (or died) by itself.
                LOG.warn("Could not release the lock of session {}: {}", lockedKey, e.getMessage());
            }
        }
    }
}
