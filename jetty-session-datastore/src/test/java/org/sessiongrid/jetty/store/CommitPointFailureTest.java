package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.jetty.testing.LoopbackServer;

/**
 * A save that fails at the commit point (the grid does not answer), whichever way the application
 * commits its answer ({@code ?out=}): the client gets 503 with {@code Retry-After} in place of the
 * answer, no cookie for a new session the grid does not hold, the copy is dropped (the failed change
 * is never saved later), and the next request works. One ee11 server on a one-member grid; the store
 * fails saves through a test hook ({@link GridUnavailableLoadTest.FlakyStore}).
 */
class CommitPointFailureTest {

    /** Ways of committing the answer, as in the clustered tests' servlet. */
    static final class Counter extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String out = req.getParameter("out");
            if (out.startsWith("async")) {
                if (out.equals("async")) {
                    req.getSession(true); // made on the container thread; "asyncnew" makes it on the other
                }
                AsyncContext async = req.startAsync();
                new Thread(() -> {
                    try {
                        HttpServletResponse response = (HttpServletResponse) async.getResponse();
                        answer("plain", increment(req.getSession(true)), req, response);
                    } catch (IOException e) {
                        ((HttpServletResponse) async.getResponse()).setStatus(500);
                    } finally {
                        async.complete();
                    }
                }, "app-async").start();
                return;
            }
            answer(out, increment(req.getSession(true)), req, resp);
        }

        private static int increment(HttpSession s) {
            Integer n = (Integer) s.getAttribute("n");
            int next = n == null ? 1 : n + 1;
            s.setAttribute("n", next);
            return next;
        }

        private static void answer(String out, int next, HttpServletRequest req, HttpServletResponse resp)
                throws IOException {
            resp.setContentType("text/plain");
            byte[] body = String.valueOf(next).getBytes(StandardCharsets.UTF_8);
            switch (out) {
                case "cl" -> {
                    resp.setContentLength(body.length);
                    resp.getOutputStream().write(body);
                }
                case "flush" -> {
                    resp.getWriter().print(next);
                    resp.flushBuffer();
                    resp.getWriter().print(" flushed");
                }
                case "big" -> resp.getWriter().print(next + "\n" + "x".repeat(64 * 1024));
                case "close" -> {
                    PrintWriter w = resp.getWriter();
                    w.print(next);
                    w.close();
                }
                case "redirect" -> resp.sendRedirect(req.getContextPath() + "/inc?out=plain&count=" + next);
                case "error" -> resp.sendError(409, "count " + next);
                default -> resp.getWriter().print(next);
            }
        }
    }

    private Server server;
    private GridUnavailableLoadTest.FlakyStore store;
    private SessionGridSessionCache cache;
    private final HttpClient http = HttpClient.newHttpClient();
    private String cookie;

    private void start() throws Exception {
        server = LoopbackServer.withWorker("n1");
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ServletHolder holder = new ServletHolder(new Counter());
        holder.setAsyncSupported(true);
        ctx.addServlet(holder, "/inc");
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", "commit-point-" + UUID.randomUUID());
        settings.set("stack", "test-loopback");
        cache = new SessionGridSessionCache(ctx.getSessionHandler());
        store = new GridUnavailableLoadTest.FlakyStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> inc(String out) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app/inc?out=" + out));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        r.headers().firstValue("Set-Cookie").ifPresent(c -> cookie = c.split(";", 2)[0]);
        return r;
    }

    private Integer stored(String id) throws Exception {
        SessionRecord r = store.grid().store(store.namespace()).find(id, null);
        return r == null ? null : (Integer) new AttributeSerializer(null).decode("n", r.attribute("n"));
    }

    private String sessionId() {
        return cookie.substring(cookie.indexOf('=') + 1).replaceAll("\\..*$", "");
    }

    private static void assertUnavailable(HttpResponse<String> r) {
        assertEquals(503, r.statusCode(), "a failed save must fail the request, got " + r.statusCode() + " "
                + r.headers().map() + " " + r.body());
        assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
        assertTrue(r.body().contains("not saved"), r.body());
    }

    /** The client has its answer before the request ends: wait for this node to drop the failed copy. */
    private void awaitDropped(String id) throws InterruptedException {
        await("the copy of session " + id + " whose save failed to be dropped", () -> cache.doGet(id) == null);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** IT5: Jetty answered 200 with a cookie for a session whose first save failed at commit. */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "cl", "flush", "big", "close", "redirect", "error", "async", "asyncnew"})
    void aNewSessionWhoseFirstSaveFailsIsA503WithoutCookie(String out) throws Exception {
        start();
        store.failNewOnly = true;
        store.failSaves.set(1);
        HttpResponse<String> failed = inc(out);
        assertUnavailable(failed);
        assertTrue(failed.headers().allValues("Set-Cookie").stream().noneMatch(c -> c.startsWith("JSESSIONID")),
                "the client got a cookie for a session the grid does not hold: " + failed.headers().map());
        assertEquals(1, store.failedSaves.size());
        String lost = store.failedSaves.get(0);
        awaitDropped(lost);
        assertNull(stored(lost), "the session whose first save failed was saved after the 503");

        assertEquals("1", inc("plain").body(), "the next request must start a session that works");
        assertEquals(1, stored(sessionId()));
        assertEquals("2", inc("plain").body());
    }

    /** A change whose save fails: 503, and the stored counter stays what the client was last told. */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "cl", "flush", "big", "close", "redirect", "error", "async"})
    void aChangeWhoseSaveFailsIsA503AndIsNeverSavedLater(String out) throws Exception {
        start();
        assertEquals("1", inc("plain").body());
        String id = sessionId();
        await("the first request to end", () -> cache.doGet(id) != null && cache.doGet(id).getRequests() == 0);
        store.failSaves.set(1);
        assertUnavailable(inc(out));
        awaitDropped(id);
        assertEquals(1, stored(id), "the change answered 503 was saved");
        HttpResponse<String> next = inc("plain");
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("2", next.body(), "the next request must continue the stored session");
        assertEquals(id, sessionId());
        assertNotNull(stored(id));
        assertEquals(2, stored(id));
    }
}
