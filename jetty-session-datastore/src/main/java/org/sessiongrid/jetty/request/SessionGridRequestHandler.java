package org.sessiongrid.jetty.request;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request scope every SessionGrid store needs in front of its context: it saves a request's
 * session changes before the response's first byte leaves (answering 503 when that save fails),
 * answers 503 when the grid cannot produce the request's session, and holds the session's
 * cluster-wide lock for the request with {@code lockingMode}. Install it once per server, in front
 * of the contexts ({@code server.insertHandler(new SessionGridRequestHandler())}; the jetty-home
 * module does it). A store refuses to start unless this handler is an ancestor of its context's
 * session handler in the server's handler tree.
 *
 * <p><b>Locking.</b> With {@code lockingMode} other than {@code none}, each request holds its
 * session's cluster-wide lock from the moment Jetty looks the session up until after the session was
 * written back: this handler opens a {@link LockScope} for the request on the handling thread; the
 * SessionGrid session cache, asked by Jetty's session handler for the requested session on that same
 * thread, takes the lock into the scope before it loads or checks the copy. The scope is closed by a
 * {@link CommitGuard}, the stream wrapper this handler adds <em>before</em> the session handler adds
 * its own, so it runs after Jetty's session completion (the write-back) when the response completes.
 * A request whose lock stays taken for {@code lockTimeout} is answered 503 with {@code Retry-After}
 * and never reaches the application: running it without its session would make a new session and
 * lose the user's.
 *
 * <p><b>A session the grid cannot produce.</b> The same holds without a lockingMode: a request whose
 * session the grid cannot produce (no owner of it answered within {@code remoteTimeout}, e.g. while a
 * killed node's sessions fail over) is answered 503 with {@code Retry-After} before it reaches the
 * application, instead of running with no session and making a new, empty one under the user's id.
 *
 * <p><b>Saving before the response is committed.</b> Jetty's session handler saves a changed session
 * right before the response's status line and headers are sent ({@code flushOnResponseCommit}, which a
 * SessionGrid store requires), whichever way the response gets committed, so another node serving the
 * user's next request reads the change. Jetty only logs a save that fails there ("Unable to commit
 * Session"), and the client got 200, for a new session with a cookie, for a session the grid does not
 * hold. The SessionGrid session cache reports the failure to this handler instead
 * ({@link #commitFailed}), whose {@link CommitGuard} (the innermost wrapper of the request's stream)
 * then sends a 503 with {@code Retry-After} in place of the application's status, headers and body;
 * the session copy is dropped so that neither the failed change nor a new session the client never
 * learnt of is saved later.
 */
public class SessionGridRequestHandler extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridRequestHandler.class);

    /** Started SessionGrid stores with a lockingMode. */
    private static final AtomicInteger LOCKING_STORES = new AtomicInteger();

    /** Started SessionGrid stores (any lockingMode): while 0 this handler only passes requests on. */
    private static final AtomicInteger STORES = new AtomicInteger();

    private static final ThreadLocal<LockScope> CURRENT = new ThreadLocal<>();

    public SessionGridRequestHandler() {
    }

    public SessionGridRequestHandler(Handler handler) {
        super(handler);
    }

    /** Called by a store with a lockingMode when it starts (+1) and stops (-1). */
    public static void lockingStore(int delta) {
        LOCKING_STORES.addAndGet(delta);
    }

    /** Called by every SessionGrid store when it starts (+1) and stops (-1). */
    public static void store(int delta) {
        STORES.addAndGet(delta);
    }

    /** The lock scope of the request this thread is handling, or null. */
    public static LockScope current() {
        return CURRENT.get();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Handler next = getHandler();
        if (next == null) {
            return false;
        }
        if ((STORES.get() == 0 && LOCKING_STORES.get() == 0) || CURRENT.get() != null) {
            return next.handle(request, response, callback);
        }
        LockScope scope = new LockScope(request.getHttpURI().getDecodedPath());
        CommitGuard.forgetFailedSave();
        // What this thread did outside a request scope before belongs to no request.
        UnavailableSession.forgetAll();
        // Added before any session handler adds its own wrapper, so ours is the inner one: a send
        // reaches it after the session was saved for it, and its completion after the write-back.
        request.addHttpStreamWrapper(stream -> new CommitGuard(stream, scope));
        CURRENT.set(scope);
        try {
            return next.handle(request, response, callback);
        } catch (SessionUnavailable refused) {
            LOG.warn("{} answered 503: {}", request.getHttpURI().getPath(), refused.getMessage());
            if (response.isCommitted()) {
                throw refused; // cannot happen before the session is resolved; let Jetty abort it
            }
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503,
                    (refused instanceof LockRefused ? "session busy: " : "session unavailable: ") + refused.getMessage());
            return true;
        } finally {
            CURRENT.remove();
            UnavailableSession.forgetAll();
        }
    }

    /**
     * The session locks one request holds, released when the request completes.
     * Thread-safe: taken on the handling thread, released on the completing one.
     */
    public static final class LockScope {
        private final String path;
        private final long arrivedAt = System.currentTimeMillis();
        private final List<Runnable> releases = new ArrayList<>();
        private String failure;
        private boolean refused;
        private boolean closed;

        LockScope(String path) {
            this.path = path;
        }

        /** When the request reached this handler (epoch ms). */
        public long arrivedAt() {
            return arrivedAt;
        }

        /** The request's decoded path (with the context path). */
        public String path() {
            return path;
        }

        /**
         * Registers a held lock's release for when the request completes.
         *
         * @return false if the request already completed (the caller releases at once)
         */
        public synchronized boolean onClose(Runnable release) {
            if (closed) {
                return false;
            }
            releases.add(release);
            return true;
        }

        /**
         * Records that a session change of this request could not reach the grid (e.g. an
         * invalidation): its response, unless already committed, becomes a 503.
         */
        public synchronized void fail(String reason) {
            if (failure == null) {
                failure = reason;
            }
        }

        /** Why this request's session changes could not reach the grid, or null. */
        synchronized String failure() {
            return failure;
        }

        /**
         * Records that this request was refused its session ({@link SessionUnavailable}): wherever
         * Jetty turns the refusal into its 503, the response carries {@code Retry-After}.
         */
        synchronized void refused() {
            refused = true;
        }

        synchronized boolean wasRefused() {
            return refused;
        }

        void close() {
            List<Runnable> toRun;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                toRun = List.copyOf(releases);
                releases.clear();
            }
            for (Runnable r : toRun) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("Releasing a session lock failed (it ends with its holder or the lock's fencing): {}",
                            e.toString());
                }
            }
        }
    }

    /**
     * Records that the save of a session failed while the response of the request this thread is
     * sending was being committed: that response becomes a 503 (called by the SessionGrid session
     * cache from Jetty's save at commit, right before the send reaches the {@link CommitGuard}).
     */
    public static void commitFailed(String reason) {
        CommitGuard.saveFailed(reason);
    }

    /**
     * Thrown through Jetty's session handler when a request's session cannot be produced now (the
     * grid did not answer, or its lock could not be taken). An Error on purpose: Jetty's
     * {@code getManagedSession} turns every Exception into "no session" and would run the request
     * without the user's session. Only thrown while this handler is on the stack (a
     * {@link LockScope} is current), which answers 503. It is also a Jetty {@link HttpException} with
     * code 503, so that where Jetty's servlet layer catches it first (ee10/ee11 resolve the session
     * inside the servlet channel) the answer is the same 503. No stack trace: an expected condition.
     */
    public static class SessionUnavailable extends Error implements HttpException {
        private static final long serialVersionUID = 1L;

        public SessionUnavailable(String message) {
            super(message, null, false, false);
        }

        @Override
        public int getCode() {
            return HttpStatus.SERVICE_UNAVAILABLE_503;
        }

        @Override
        public String getReason() {
            return getMessage();
        }
    }

    /**
     * A request reached a SessionGrid store's context without this handler in front (its place could
     * not be checked when the store started): answered 500 with the problem and the fix, instead of
     * serving a session that another node may have changed. An Error for the same reason as
     * {@link SessionUnavailable}; no stack trace: the message says it all.
     */
    public static final class HandlerMissing extends Error implements HttpException {
        private static final long serialVersionUID = 1L;

        public HandlerMissing(String message) {
            super(message, null, false, false);
        }

        @Override
        public int getCode() {
            return HttpStatus.INTERNAL_SERVER_ERROR_500;
        }

        @Override
        public String getReason() {
            return getMessage();
        }
    }

    /**
     * Marks the current request as refused its session and returns {@code refusal} to be thrown: its
     * 503, whether this handler or Jetty's servlet layer writes it, then says {@code Retry-After}.
     */
    public static <E extends SessionUnavailable> E refusal(E refusal) {
        LockScope scope = CURRENT.get();
        if (scope != null) {
            scope.refused();
        }
        return refusal;
    }

    /** The request's session lock could not be taken ({@link SessionUnavailable}, answered 503). */
    public static final class LockRefused extends SessionUnavailable {
        private static final long serialVersionUID = 1L;

        public LockRefused(String message) {
            super(message);
        }
    }
}
