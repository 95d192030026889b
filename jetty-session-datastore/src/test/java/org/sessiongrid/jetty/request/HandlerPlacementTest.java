package org.sessiongrid.jetty.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;
import org.sessiongrid.jetty.testing.LoopbackServer;

/**
 * A SessionGrid store refuses to start when {@link SessionGridRequestHandler} is not in front of its
 * context's session handler (missing, or wrapping something else), or when its cache would save
 * sessions only after the response was sent ({@code flushOnResponseCommit=false}): the message names
 * the problem and the fix. Without the check such a server served requests whose failed saves were
 * answered 200 and whose sessions another node could read without the request's change.
 */
class HandlerPlacementTest {

    /** Counts in the session. */
    static final class Counter extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            Integer n = (Integer) req.getSession(true).getAttribute("n");
            req.getSession().setAttribute("n", n == null ? 1 : n + 1);
            resp.getWriter().print(n == null ? 1 : n + 1);
        }
    }

    private Server server;
    /** A context started before the server, which Jetty then holds unmanaged: stopping the server leaves it running. */
    private ServletContextHandler startedAlone;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (startedAlone != null) {
            startedAlone.stop();
        }
    }

    private ServletContextHandler context(String path, SessionGridDataStoreFactory grid) throws Exception {
        ServletContextHandler ctx = new ServletContextHandler(path, ServletContextHandler.SESSIONS);
        ctx.addServlet(new ServletHolder(new Counter()), "/inc");
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        cache.setSessionDataStore(grid.getSessionDataStore(ctx.getSessionHandler()));
        ctx.getSessionHandler().setSessionCache(cache);
        return ctx;
    }

    /** A server whose handler tree {@code tree} builds from the /app context and a /other context. */
    private void start(Tree tree) throws Exception {
        SessionGridDataStoreFactory grid = newServer();
        ServletContextHandler app = context("/app", grid);
        server.setHandler(tree.build(app, context("/other", grid)));
        server.start();
    }

    private SessionGridDataStoreFactory newServer() {
        server = LoopbackServer.withWorker("n1");
        SessionGridDataStoreFactory grid = new SessionGridDataStoreFactory();
        grid.setClusterName("placement-" + UUID.randomUUID());
        grid.setStack("test-loopback");
        return grid;
    }

    private HttpResponse<String> get(String path, String cookie) {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    interface Tree {
        Handler build(ServletContextHandler app, ServletContextHandler other) throws Exception;
    }

    private String startFailure(Tree tree) {
        Exception e = assertThrows(Exception.class, () -> start(tree), "the server started");
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalStateException && t.getMessage().contains("SessionGrid store of context")) {
                return t.getMessage();
            }
        }
        throw new AssertionError("no SessionGrid start check in " + e, e);
    }

    @Test
    void aServerWithoutTheHandlerDoesNotStart() {
        String message = startFailure((app, other) -> new ContextHandlerCollection(app, other));
        assertTrue(message.contains("needs org.sessiongrid.jetty.request.SessionGridRequestHandler in front of its"
                + " session handler"), message);
        assertTrue(message.contains("The server has none"), message);
        assertTrue(message.contains("server.insertHandler(new SessionGridRequestHandler())"), message);
        assertTrue(message.contains("jetty-home module session-store-sessiongrid"), message);
    }

    @Test
    void aHandlerInFrontOfAnotherContextOnlyDoesNotDo() {
        String message = startFailure((app, other) -> new Handler.Sequence(app, new SessionGridRequestHandler(other)));
        assertTrue(message.contains("_app needs"), message);
        assertTrue(message.contains("The server's SessionGridRequestHandler is inside Sequence, not in front of this"
                + " context's session handler"), message);
        assertTrue(message.contains("server.insertHandler(new SessionGridRequestHandler())"), message);
    }

    @Test
    void aHandlerBehindTheSessionHandlerDoesNotDo() {
        String message = startFailure((app, other) -> {
            app.getServletHandler().insertHandler(new SessionGridRequestHandler());
            return new ContextHandlerCollection(app);
        });
        assertTrue(message.contains("_app needs"), message);
        assertTrue(message.contains("The server's SessionGridRequestHandler is behind the session handler"), message);
    }

    @Test
    void aCacheThatSavesAfterTheResponseDoesNotStart() {
        String message = startFailure((app, other) -> {
            app.getSessionHandler().getSessionCache().setFlushOnResponseCommit(false);
            return new SessionGridRequestHandler(new ContextHandlerCollection(app, other));
        });
        assertTrue(message.contains("flushOnResponseCommit=false"), message);
        assertTrue(message.contains("Fix: set flushOnResponseCommit to true"), message);
    }

    /** In front of the contexts, or in front of the session handler inside one: starts and serves. */
    @Test
    void theHandlerInFrontOfTheContextsOrOfTheSessionHandlerServes() throws Exception {
        start((app, other) -> {
            other.insertHandler(new SessionGridRequestHandler());
            return new Handler.Sequence(new SessionGridRequestHandler(app), other);
        });
        assertEquals("1", get("/app/inc", null).body());
        assertEquals("1", get("/other/inc", null).body());
    }

    /**
     * A context started before it is in the server's tree cannot be checked at start: then every
     * request that brings a session id is checked, and one that did not come through the handler fails
     * (500) with the same message instead of being served.
     */
    @Test
    void aContextCheckedOnlyAtItsRequestsFailsThemWithoutTheHandler() throws Exception {
        ServletContextHandler app = context("/app", newServer());
        app.setServer(server);
        startedAlone = app;
        app.start();
        server.setHandler(app);
        server.start();
        HttpResponse<String> first = get("/app/inc", null);
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        HttpResponse<String> next = get("/app/inc", cookie);
        assertEquals(500, next.statusCode(), next.body());
        assertTrue(next.body().contains("needs org.sessiongrid.jetty.request.SessionGridRequestHandler in front of its"
                + " session handler"), next.body());
    }

    /**
     * lockingMode needs the SessionGrid cache, which takes the lock before it loads the session (it tells
     * the store so before the store starts): with Jetty's own cache the store does not start.
     */
    @Test
    void lockingModeWithJettysOwnCacheDoesNotStart() {
        SessionGridDataStoreFactory grid = newServer();
        grid.setSetting("lockingMode", "all");
        ServletContextHandler app = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        app.addServlet(new ServletHolder(new Counter()), "/inc");
        DefaultSessionCache cache = new DefaultSessionCache(app.getSessionHandler());
        cache.setSessionDataStore(grid.getSessionDataStore(app.getSessionHandler()));
        app.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(app));
        Exception e = assertThrows(Exception.class, server::start, "the server started");
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("lockingMode=\"all\" needs the session cache"
                + " org.sessiongrid.jetty.cache.SessionGridSessionCache"), messages.toString());
    }

    /** With the SessionGrid cache, the same lockingMode starts and serves. */
    @Test
    void lockingModeWithTheSessionGridCacheStarts() throws Exception {
        SessionGridDataStoreFactory grid = newServer();
        grid.setSetting("lockingMode", "all");
        server.setHandler(new SessionGridRequestHandler(context("/app", grid)));
        server.start();
        assertEquals("1", get("/app/inc", null).body());
    }

    /** The handler's former name, kept for one release, still passes the start check and serves. */
    @SuppressWarnings("removal")
    @Test
    void theHandlersFormerNameStillWorks() throws Exception {
        start((app, other) -> new org.sessiongrid.jetty.lock.SessionGridLockingHandler(
                new ContextHandlerCollection(app, other)));
        assertEquals("1", get("/app/inc", null).body());
    }
}
