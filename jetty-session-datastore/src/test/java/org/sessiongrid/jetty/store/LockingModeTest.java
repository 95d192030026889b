package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.jetty.testing.LoopbackServer;

/**
 * lockingMode on a real Jetty (ee11) with SessionGridRequestHandler: {@code uriPattern:REGEX}
 * serializes the matching requests of one session and leaves the others concurrent; and a request
 * whose lock was taken from it (its lease ended, another holder locked and changed the session) fails
 * its save with 503 instead of overwriting the other holder's change.
 */
class LockingModeTest {

    /**
     * /hold?gate=X reads the counter, says it entered, waits for gate X, then stores counter + 1;
     * /peek reads the counter. Enter and exit events are logged in order.
     */
    static final class GatedCounter extends HttpServlet {
        final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
        final Map<String, CountDownLatch> entered = new ConcurrentHashMap<>();
        final List<String> events = new CopyOnWriteArrayList<>();

        CountDownLatch gate(String name) {
            return gates.computeIfAbsent(name, k -> new CountDownLatch(1));
        }

        CountDownLatch entered(String name) {
            return entered.computeIfAbsent(name, k -> new CountDownLatch(1));
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            HttpSession s = req.getSession(true);
            Integer n = (Integer) s.getAttribute("n");
            int seen = n == null ? 0 : n;
            String name = req.getParameter("gate");
            if (req.getPathInfo().equals("/hold")) {
                events.add("enter " + name);
                entered(name).countDown();
                try {
                    if (!gate(name).await(30, TimeUnit.SECONDS)) {
                        throw new IOException("gate " + name + " never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                s.setAttribute("n", seen + 1);
                events.add("exit " + name);
                seen++;
            } else if (name != null) {
                events.add("peek " + name);
                entered(name).countDown();
            }
            resp.setContentType("text/plain");
            resp.getWriter().print(seen);
        }
    }

    private Server server;
    private SessionGridDataStore store;
    private final GatedCounter servlet = new GatedCounter();
    private final HttpClient http = HttpClient.newHttpClient();
    private volatile String cookie;

    private void start(String lockingMode) throws Exception {
        start(lockingMode, 20_000);
    }

    private void start(String lockingMode, long lockTimeoutMillis) throws Exception {
        server = LoopbackServer.withWorker("n1");
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ctx.addServlet(new ServletHolder(servlet), "/*");
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", "locking-" + UUID.randomUUID());
        settings.set("stack", "test-loopback");
        settings.set("lockingMode", lockingMode);
        settings.set("lockTimeout", String.valueOf(lockTimeoutMillis));
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        store = new SessionGridDataStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        cache.setFlushOnResponseCommit(true);
        ctx.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        servlet.gates.values().forEach(CountDownLatch::countDown);
        if (server != null) {
            server.stop();
        }
    }

    private CompletableFuture<HttpResponse<String>> send(String pathAndQuery) {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app" + pathAndQuery));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            r.headers().firstValue("Set-Cookie").ifPresent(c -> cookie = c.split(";", 2)[0]);
            return r;
        });
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return send(pathAndQuery).get(30, TimeUnit.SECONDS);
    }

    private void awaitEntered(String name) throws InterruptedException {
        assertTrue(servlet.entered(name).await(30, TimeUnit.SECONDS), name + " never reached the servlet");
    }

    private String sessionId() {
        return cookie.substring(cookie.indexOf('=') + 1).replaceAll("\\..*$", "");
    }

    private int stored() throws Exception {
        SessionRecord r = store.grid().store(store.namespace()).find(sessionId(), null);
        assertNotNull(r, "the session is gone");
        return (Integer) new AttributeSerializer(null).decode("n", r.attribute("n"));
    }

    @Test
    void uriPatternSerializesMatchingRequestsOfASessionAndNoOthers() throws Exception {
        start("uriPattern:/hold.*");
        assertEquals("0", get("/peek").body()); // makes the session
        assertNotNull(cookie);

        CompletableFuture<HttpResponse<String>> a = send("/hold?gate=a");
        awaitEntered("a");
        // A matching request of the same session must wait for a's lock...
        CompletableFuture<HttpResponse<String>> b = send("/hold?gate=b");
        servlet.gate("b").countDown(); // b would run straight through if it got in
        // ...while a request that does not match runs beside a.
        HttpResponse<String> peek = send("/peek?gate=c").get(30, TimeUnit.SECONDS);
        assertEquals(200, peek.statusCode());
        assertEquals("0", peek.body(), "the non-matching request must run while a holds the session's lock");

        servlet.gate("a").countDown();
        assertEquals("1", a.get(30, TimeUnit.SECONDS).body());
        HttpResponse<String> br = b.get(30, TimeUnit.SECONDS);
        assertEquals(200, br.statusCode());
        assertEquals("2", br.body(), "b must read a's write: matching requests are serialized");
        assertTrue(servlet.events.indexOf("enter b") > servlet.events.indexOf("exit a"),
                "b entered while a held the lock: " + servlet.events);
        assertEquals(2, stored());
    }

    @Test
    void aRequestThatCannotGetTheLockInTimeIsRefusedWith503BeforeTheApplicationRuns() throws Exception {
        start("all", 300);
        assertEquals("0", get("/peek").body());
        CompletableFuture<HttpResponse<String>> a = send("/hold?gate=a");
        awaitEntered("a");
        // The session's lock is held by a: b waits lockTimeout, then is refused without running.
        HttpResponse<String> br = get("/hold?gate=b");
        assertEquals(503, br.statusCode(), "got " + br.statusCode() + " " + br.body());
        assertEquals("1", br.headers().firstValue("Retry-After").orElse(null), br.headers().toString());
        assertTrue(!servlet.events.contains("enter b"), "the refused request reached the servlet: " + servlet.events);
        servlet.gate("a").countDown();
        assertEquals("1", a.get(30, TimeUnit.SECONDS).body());
        assertEquals(1, stored(), "the refused request changed the session");
    }

    @Test
    void aRequestWhoseLockWasLostFailsItsSaveAndOverwritesNothing() throws Exception {
        start("all");
        assertEquals("0", get("/peek").body());
        String id = sessionId();

        CompletableFuture<HttpResponse<String>> a = send("/hold?gate=a");
        awaitEntered("a");
        // a's lock ends under it (as when its lease ends in a failover) and another holder locks the
        // session and changes it.
        SessionLock aLock = store.heldLock(id);
        assertNotNull(aLock, "a must hold the session's lock");
        aLock.close();
        SessionStore grid = store.grid().store(store.namespace());
        try (SessionLock other = grid.lock(id, 5000)) {
            SessionRecord base = grid.find(id, null);
            grid.commit(id, SessionDelta.builder().set("n", new AttributeSerializer(null).encode("n", 100)).build(),
                    base, other);
        }

        servlet.gate("a").countDown();
        HttpResponse<String> ar = a.get(30, TimeUnit.SECONDS);
        assertEquals(503, ar.statusCode(), "a request whose lock was lost must fail, got " + ar.statusCode() + " "
                + ar.body());
        assertTrue(ar.body().contains("lock"), ar.body());
        assertEquals(100, stored(), "the request that lost its lock overwrote the other holder's change");

        servlet.gate("d").countDown();
        HttpResponse<String> next = get("/hold?gate=d");
        assertEquals(200, next.statusCode());
        assertEquals("101", next.body(), "the next request must continue the other holder's change");
        assertEquals(101, stored());
    }
}
