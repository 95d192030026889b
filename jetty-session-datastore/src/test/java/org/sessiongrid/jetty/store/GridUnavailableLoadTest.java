package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.session.UnwriteableSessionDataException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.GridUnavailableException;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.jetty.testing.LoopbackServer;

/**
 * IT5 of the fault matrix: while a killed node's sessions fail over, {@code doLoad} can time out with
 * {@link GridUnavailableException}. Jetty's session manager takes every load failure for "no such
 * session", and the application's {@code getSession(true)} then made a new, empty session under the
 * user's id, whose first save replaced the stored one (the user's counter restarted at 1). Here the
 * load fails once through a test hook: the request must fail (503), and the stored session must be
 * intact and served by the next request.
 */
class GridUnavailableLoadTest {

    /** A store whose next loads fail as when no owner of the session answers within remoteTimeout. */
    static final class FlakyStore extends SessionGridDataStore {
        final AtomicInteger failLoads = new AtomicInteger();
        final AtomicInteger failDeletes = new AtomicInteger();
        /** How long the next load takes (a failover holding it up), then back to 0. */
        volatile long loadDelayMillis;
        /** The next saves to fail (new sessions' first saves only if {@link #failNewOnly}). */
        final AtomicInteger failSaves = new AtomicInteger();
        volatile boolean failNewOnly;
        final java.util.List<String> failedSaves = new java.util.concurrent.CopyOnWriteArrayList<>();

        FlakyStore(StoreSettings settings, SessionManager manager) {
            super(settings, manager);
        }

        @Override
        public SessionData doLoad(String id) throws Exception {
            if (failLoads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new GridUnavailableException("test hook: no primary of session " + id
                        + " answered within remoteTimeout");
            }
            long delay = loadDelayMillis;
            if (delay > 0) {
                loadDelayMillis = 0;
                Thread.sleep(delay); // fault injection: the grid answers late, as during a failover
            }
            return super.doLoad(id);
        }

        @Override
        public boolean delete(String id) throws Exception {
            if (failDeletes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new GridUnavailableException("test hook: no primary of session " + id
                        + " answered within remoteTimeout");
            }
            return super.delete(id);
        }

        /** A request's invalidation ends the session in the grid before Jetty's delete: it fails likewise. */
        @Override
        public boolean invalidateAsRead(String id, SessionData data) throws InterruptedException {
            if (failDeletes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new GridUnavailableException("test hook: no primary of session " + id
                        + " answered within remoteTimeout");
            }
            return super.invalidateAsRead(id, data);
        }

        @Override
        public void doStore(String id, SessionData data, long lastSaveTime) throws Exception {
            if ((!failNewOnly || lastSaveTime <= 0) && failSaves.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failedSaves.add(id);
                throw new GridUnavailableException("test hook: no primary of session " + id
                        + " answered within remoteTimeout");
            }
            super.doStore(id, data, lastSaveTime);
        }
    }

    /** Counts in the session; records whether it ran with a brand-new session. */
    static final class CounterServlet extends HttpServlet {
        final AtomicInteger newSessions = new AtomicInteger();
        final AtomicInteger runs = new AtomicInteger();

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            runs.incrementAndGet();
            HttpSession s = req.getSession(true);
            if (s.isNew()) {
                newSessions.incrementAndGet();
            }
            if (req.getParameter("invalidate") != null) {
                s.invalidate();
                resp.getWriter().print("invalidated");
                return;
            }
            if (req.getParameter("timeout") != null) {
                s.setMaxInactiveInterval(Integer.parseInt(req.getParameter("timeout")));
            }
            if (req.getParameter("work") != null) {
                try {
                    Thread.sleep(Long.parseLong(req.getParameter("work"))); // a request held up (failover)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Integer n = (Integer) s.getAttribute("n");
            int next = n == null ? 1 : n + 1;
            s.setAttribute("n", next);
            resp.setContentType("text/plain");
            resp.getWriter().print(next);
        }
    }

    private Server server;
    private FlakyStore store;
    private SessionGridSessionCache cache;
    private final CounterServlet servlet = new CounterServlet();
    private final HttpClient http = HttpClient.newHttpClient();
    private String cookie;

    private void start() throws Exception {
        server = LoopbackServer.withWorker("n1");

        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ctx.addServlet(new ServletHolder(servlet), "/inc");
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", "grid-unavailable-" + UUID.randomUUID());
        settings.set("stack", "test-loopback");
        cache = new SessionGridSessionCache(ctx.getSessionHandler());
        store = new FlakyStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        ctx.getSessionHandler().setMaxInactiveInterval(1800);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> inc() throws Exception {
        return inc("");
    }

    private HttpResponse<String> inc(String query) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app/inc" + query));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        r.headers().firstValue("Set-Cookie").ifPresent(c -> cookie = c.split(";", 2)[0]);
        return r;
    }

    private String sessionId() {
        return cookie.substring(cookie.indexOf('=') + 1).replaceAll("\\..*$", "");
    }

    private int storedCounter() throws Exception {
        return storedCounter(sessionId());
    }

    private int storedCounter(String id) throws Exception {
        SessionRecord r = store.grid().store(store.namespace()).find(id, null);
        assertNotNull(r, "the stored session is gone");
        return (Integer) new AttributeSerializer(null).decode("n", r.attribute("n"));
    }

    /** 503 before the application runs. */
    @Test
    void aLoadTheGridCannotAnswerIsA503AndTheStoredSessionStays() throws Exception {
        start();
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> r = inc();
            assertEquals(200, r.statusCode());
            assertEquals(String.valueOf(i), r.body());
        }
        String id = sessionId();
        assertEquals(3, storedCounter());

        // This node no longer holds a copy (as on a node that never served the user, round-robin).
        awaitIdle(id);
        store.evictLocalCopy(id);
        assertEquals(null, cache.doGet(id));
        int runsBefore = servlet.runs.get();

        store.failLoads.set(1);
        HttpResponse<String> failed = inc();
        assertEquals(503, failed.statusCode(), "a load the grid could not answer must fail the request, got "
                + failed.statusCode() + " " + failed.body());
        assertEquals(runsBefore, servlet.runs.get(), "the application ran without the user's session");
        assertEquals(1, servlet.newSessions.get(), "a new session was made for the user (only the first request may)");
        assertEquals(id, sessionId(), "the user was given another session id");
        assertEquals(3, storedCounter(), "the stored session was replaced");

        HttpResponse<String> next = inc();
        assertEquals(200, next.statusCode());
        assertEquals("4", next.body(), "the next request must continue the stored session");
        assertEquals(id, sessionId());
        assertEquals(4, storedCounter());
    }

    /** The client has its answer before Jetty ends the request (flushOnResponseCommit): wait for the end. */
    /** Waits until no request uses the cached copy of {@code id}; fails after 5 s. */
    private void awaitIdle(String id) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (cache.doGet(id) != null && cache.doGet(id).getRequests() > 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("session " + id + " still in use by " + cache.doGet(id).getRequests()
                        + " requests after 5 s");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aNewSessionNeverOverwritesAStoredOneUnderTheSameId() throws Exception {
        start();
        assertEquals("1", inc().body());
        assertEquals("2", inc().body());
        String id = sessionId();

        // What Jetty does after a failed load: a new session (never saved) under the same id.
        long now = System.currentTimeMillis();
        SessionData fresh = store.newSessionData(id, now, now, now, 1_800_000);
        fresh.setLastNode("n1");
        fresh.setAttribute("n", 1);
        assertTrue(fresh.getLastSaved() <= 0);
        UnwriteableSessionDataException e = assertThrows(UnwriteableSessionDataException.class,
                () -> store.store(id, fresh));
        assertTrue(String.valueOf(e.getCause()).contains("already exists"), String.valueOf(e.getCause()));
        assertEquals(2, storedCounter(), "a new session overwrote the stored one");
        // Jetty keeps it unsaved and retries at release: still refused.
        assertThrows(UnwriteableSessionDataException.class, () -> store.store(id, fresh));
        assertEquals(2, storedCounter());
        assertEquals("3", inc().body());
    }

    /**
     * A change to an existing session whose save fails: 503, the stored counter stays, the failed
     * change is not saved later (the copy is dropped), and the next request continues the stored one.
     */
    @Test
    void aChangeWhoseSaveFailsIsA503AndIsNeverSavedLater() throws Exception {
        start();
        assertEquals("1", inc().body());
        assertEquals("2", inc().body());
        String id = sessionId();
        awaitIdle(id);
        store.failSaves.set(1);
        HttpResponse<String> failed = inc();
        assertEquals(503, failed.statusCode(), failed.body());
        awaitGone(id);
        assertEquals(2, storedCounter(), "the change answered 503 was saved");
        HttpResponse<String> next = inc();
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("3", next.body(), "the next request must continue the stored session");
        assertEquals(3, storedCounter());
    }

    /** Waits until this node no longer holds a copy of session {@code id} (dropped after a failed save). */
    private void awaitGone(String id) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (cache.doGet(id) != null && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(null, cache.doGet(id), "the copy whose save failed is still cached");
    }

    /**
     * A request that arrived while its session was alive keeps it although the grid took longer than
     * the session's remaining time to produce it (the fault matrix: a 4 s session, a 5 s failover):
     * Jetty alone would end it and start a new one (SESSION_LOST for the user).
     */
    @Test
    void aSessionThatExpiresWhileTheGridProducesItIsKeptForARequestThatArrivedInTime() throws Exception {
        start();
        assertEquals("1", inc("?timeout=2").body());
        String id = sessionId();
        awaitIdle(id);
        store.evictLocalCopy(id);
        store.loadDelayMillis = 2500;
        HttpResponse<String> r = inc();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("2", r.body(), "the request that arrived in time got a new session");
        assertEquals(id, sessionId());
        assertEquals(1, servlet.newSessions.get());
        assertEquals(2, storedCounter());
    }

    /**
     * An invalidation the grid cannot do (its primary just died) is a 503, not Jetty's 200 after
     * "Unable to delete Session": the session lives on in the grid and the next request continues it
     * (the fault matrix saw the "invalidated" session answer again on another node).
     */
    @Test
    void anInvalidationTheGridCannotDoIsA503AndTheSessionStays() throws Exception {
        start();
        assertEquals("1", inc().body());
        assertEquals("2", inc().body());
        String id = sessionId();
        awaitIdle(id);
        store.failDeletes.set(1);
        HttpResponse<String> failed = inc("?invalidate=1");
        assertEquals(503, failed.statusCode(), failed.body());
        assertEquals(2, storedCounter(), "the session must still be in the grid");
        HttpResponse<String> next = inc();
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("3", next.body(), "the next request must continue the session the grid still holds");
        assertEquals(id, sessionId());
    }

    /**
     * A request that lasts longer than the session's timeout (its save waited for a failover) leaves
     * the grid a record that another node does not take for expired: Jetty counts the timeout from
     * the request's start, and the access time at its end would only reach the grid batched.
     */
    @Test
    void aRequestLongerThanTheTimeoutLeavesOtherNodesALiveSession() throws Exception {
        start();
        assertEquals("1", inc("?timeout=2").body());
        String id = sessionId();
        assertEquals("2", inc("?work=2500").body());
        awaitIdle(id);
        store.evictLocalCopy(id); // the next request reads the grid's record, as another node would
        HttpResponse<String> next = inc();
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("3", next.body(), "the session was taken for expired");
        assertEquals(id, sessionId());
    }
}
