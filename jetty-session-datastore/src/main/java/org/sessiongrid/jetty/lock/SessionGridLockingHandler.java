package org.sessiongrid.jetty.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

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
 */
public class SessionGridLockingHandler extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridLockingHandler.class);

    /** Started SessionGrid stores with a lockingMode: while 0 this handler only passes requests on. */
    private static final AtomicInteger LOCKING_STORES = new AtomicInteger();

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
        if (LOCKING_STORES.get() == 0 || CURRENT.get() != null) {
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
        } catch (LockRefused refused) {
            LOG.warn("{} answered 503: {}", request.getHttpURI().getPath(), refused.getMessage());
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503,
                    "session busy: " + refused.getMessage());
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
     * Thrown through Jetty's session handler when a request's session lock could not be taken. An
     * Error on purpose: Jetty's {@code getManagedSession} turns every Exception into "no session" and
     * would run the request without the user's session. Only thrown while this handler is on the
     * stack (a {@link LockScope} is current), which catches it. No stack trace: an expected condition.
     */
    public static final class LockRefused extends Error {
        private static final long serialVersionUID = 1L;

        public LockRefused(String message) {
            super(message, null, false, false);
        }
    }
}
