package org.sessiongrid.jetty.lock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p><b>Saving before the response is committed.</b> Jetty's own flush ({@code flushOnResponseCommit})
 * runs while the response's headers are being sent and only logs a failed save ("Unable to commit
 * Session"), so the client got 200, and for a new session a cookie, for a session the grid does not
 * hold (IT5). This handler passes the application a response whose first write saves the request's
 * dirty sessions first (the same save, a moment earlier, for sessions of a
 * {@code SessionGridSessionCache} with {@code flushOnResponseCommit}); if that save fails, the
 * application's status, headers (the new session's cookie too) and output are replaced by a 503 with
 * {@code Retry-After}, and the session copy is dropped so that neither the failed change nor a new
 * session the client never learnt of is saved later.
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
            return next.handle(request, new SavingResponse(request, response, scope), callback);
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
        private final long arrivedAt = System.currentTimeMillis();
        private final List<Runnable> releases = new ArrayList<>();
        private final Map<Object, SessionSave> saves = new IdentityHashMap<>();
        private String failure;
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
         * Registers the save of a session this request uses, to run before its response is
         * committed. Registering the same {@code session} again keeps the first registration.
         */
        public synchronized void saveBeforeCommit(Object session, SessionSave save) {
            saves.putIfAbsent(session, save);
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

        /** Runs the registered saves; the first that fails ends it. */
        void saveSessions() throws Exception {
            List<SessionSave> toRun;
            synchronized (this) {
                if (failure != null) {
                    throw new IllegalStateException(failure);
                }
                toRun = List.copyOf(saves.values());
            }
            for (SessionSave save : toRun) {
                save.save();
            }
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

    /** The save of one session of a request, run before its response is committed. */
    @FunctionalInterface
    public interface SessionSave {
        /**
         * Saves the session if it changed.
         *
         * @throws Exception if it could not be saved: the response becomes a 503
         */
        void save() throws Exception;
    }

    /**
     * The response the application writes to: its first write (the moment Jetty commits the
     * response) saves the request's sessions first, and turns a failed save into a 503.
     */
    private static final class SavingResponse extends Response.Wrapper {
        private final LockScope scope;
        /** 0: not saved yet; 1: saved (writes pass through); 2: save failed, 503 sent (writes dropped). */
        private volatile int state;

        SavingResponse(Request request, Response wrapped, LockScope scope) {
            super(request, wrapped);
            this.scope = scope;
        }

        @Override
        public void write(boolean last, ByteBuffer content, Callback callback) {
            if (state == 0) {
                // Jetty writes a response from one thread at a time, so no lock is needed here.
                if (isCommitted()) {
                    state = 1; // committed by a path that does not write (nothing to do but pass on)
                } else {
                    try {
                        scope.saveSessions();
                        state = 1;
                    } catch (Exception | SessionUnavailable e) {
                        state = 2;
                        answerUnavailable(e, callback);
                        return;
                    }
                }
            }
            if (state == 2) {
                // The application's output after the 503 it does not know of: dropped on purpose.
                callback.succeeded();
                return;
            }
            super.write(last, content, callback);
        }

        private void answerUnavailable(Throwable failure, Callback callback) {
            String reason = reason(failure);
            LOG.warn("{} answered 503: its session could not be saved before the response: {}",
                    getRequest().getHttpURI().getPath(), reason);
            Response out = getWrapped();
            out.reset(); // status, headers and the new session's cookie: the client must not get them
            out.setStatus(HttpStatus.SERVICE_UNAVAILABLE_503);
            out.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            out.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            out.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
            byte[] body = ("session not saved, try again: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
            out.write(true, ByteBuffer.wrap(body), callback);
        }

        /** The innermost message: Jetty wraps the store's exceptions in its own. */
        private static String reason(Throwable failure) {
            Throwable t = failure;
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            return t == failure ? String.valueOf(failure.getMessage()) : failure.getMessage() + ": " + t.getMessage();
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
