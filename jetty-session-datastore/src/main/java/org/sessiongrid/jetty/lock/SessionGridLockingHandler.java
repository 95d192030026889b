package org.sessiongrid.jetty.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds each request's session lock (setting {@code lockingMode} other than {@code none}) from the
 * moment Jetty looks the session up until after the session was written back: install it once per
 * server, in front of the contexts ({@code server.insertHandler(new SessionGridLockingHandler())};
 * the jetty-home module does it). It does nothing unless a SessionGrid store of this JVM has a
 * {@code lockingMode}.
 *
 * <p>How: this handler opens a {@link LockScope} for the request on the handling thread; the
 * SessionGrid session cache, asked by Jetty's session handler for the requested session on that
 * same thread, takes the session's cluster-wide lock into the scope before it loads or checks the
 * copy. The scope is closed by an {@link HttpStream} wrapper that this handler adds <em>before</em>
 * the session handler adds its own, so it runs after Jetty's session completion (the write-back)
 * when the response completes.
 *
 * <p>A request whose lock stays taken for {@code lockTimeout} is answered 503 with
 * {@code Retry-After} and never reaches the application: running it without its session would
 * make a new session and lose the user's.
 *
 * <p>The same holds without a lockingMode: a request whose session the grid cannot produce (no
 * owner of it answered within {@code remoteTimeout}, e.g. while a killed node's sessions fail
 * over) is answered 503 with {@code Retry-After} before it reaches the application, instead of
 * running with no session and making a new, empty one under the user's id. So the scope is opened
 * whenever a SessionGrid store runs in this JVM. (Without this handler, the SessionGrid session
 * cache still refuses to make a new session under the id of one it could not load, so the
 * request fails with 503 when it asks for its session.)
 */
public class SessionGridLockingHandler extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridLockingHandler.class);

    /** Started SessionGrid stores with a lockingMode. */
    private static final AtomicInteger LOCKING_STORES = new AtomicInteger();

    /** Started SessionGrid stores (any lockingMode): while 0 this handler only passes requests on. */
    private static final AtomicInteger STORES = new AtomicInteger();

    private static final ThreadLocal<LockScope> CURRENT = new ThreadLocal<>();

    public SessionGridLockingHandler() {
    }

    public SessionGridLockingHandler(Handler handler) {
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
        // Added before any session handler adds its own wrapper, so ours is the inner one and its
        // completion runs after the session was written back.
        request.addHttpStreamWrapper(stream -> new HttpStream.Wrapper(stream) {
            @Override
            public void succeeded() {
                scope.close();
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                scope.close();
                super.failed(x);
            }
        });
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
        }
    }

    /**
     * The session locks one request holds, released when the request completes.
     * Thread-safe: taken on the handling thread, released on the completing one.
     */
    public static final class LockScope {
        private final String path;
        private final List<Runnable> releases = new ArrayList<>();
        private boolean closed;

        LockScope(String path) {
            this.path = path;
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

    /** The request's session lock could not be taken ({@link SessionUnavailable}, answered 503). */
    public static final class LockRefused extends SessionUnavailable {
        private static final long serialVersionUID = 1L;

        public LockRefused(String message) {
            super(message);
        }
    }
}
