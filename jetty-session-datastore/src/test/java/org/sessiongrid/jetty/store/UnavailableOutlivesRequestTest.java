package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.testing.LoopbackServer;

/**
 * A session lookup the grid cannot answer outside a request scope (a thread of Jetty's pool used by
 * the application or by Jetty itself, with no {@link SessionGridRequestHandler} on its stack) leaves
 * the SessionGrid cache saying "this id exists" on that thread, so that the same caller cannot make an
 * empty session under the user's id. That mark must not reach the next request the thread handles:
 * there, another context's {@code getSession(true)} with a requested id that no context holds would be
 * told the id is in use and would start its new session under it, which Jetty allows only for ids in
 * use.
 */
class UnavailableOutlivesRequestTest {

    private static final String LEFTOVER = "leftover";

    /** Prints the id of the session it gets (a new one unless the requested one is in use somewhere). */
    static final class NewSessionServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().print(req.getSession(true).getId());
        }
    }

    private Server server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aLookupTheGridCouldNotAnswerOutsideARequestDoesNotReachTheNextRequestOnTheThread() throws Exception {
        server = LoopbackServer.withWorker("n1");

        ServletContextHandler grid = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", "unavailable-" + UUID.randomUUID());
        settings.set("stack", "test-loopback");
        SessionGridSessionCache cache = new SessionGridSessionCache(grid.getSessionHandler());
        GridUnavailableLoadTest.FlakyStore store = new GridUnavailableLoadTest.FlakyStore(settings,
                grid.getSessionHandler());
        cache.setSessionDataStore(store);
        grid.getSessionHandler().setSessionCache(cache);

        // Another webapp of the server, with Jetty's own sessions.
        ServletContextHandler other = new ServletContextHandler("/other", ServletContextHandler.SESSIONS);
        other.addServlet(new ServletHolder(new NewSessionServlet()), "/new");

        AtomicInteger leftovers = new AtomicInteger();
        Handler scope = new SessionGridRequestHandler(new ContextHandlerCollection(grid, other));
        // On the request's thread, before the request reaches the request handler: a lookup of
        // session LEFTOVER outside any request scope, which the grid cannot answer.
        server.setHandler(new Handler.Wrapper(scope) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                if (request.getHeaders().get("X-Leftover") != null) {
                    store.failLoads.set(1);
                    try {
                        cache.get(LEFTOVER);
                    } catch (Exception expected) {
                        leftovers.incrementAndGet();
                    }
                }
                return super.handle(request, response, callback);
            }
        });
        server.start();

        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/other/new"))
                .header("X-Leftover", "1")
                .header("Cookie", "JSESSIONID=" + LEFTOVER + ".n1")
                .build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(1, leftovers.get(), "the lookup outside the request scope did not fail as arranged");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(!r.body().isBlank(), "no session id in the answer");
        assertNotEquals(LEFTOVER, r.body(), "the request started its new session under an id no context holds:"
                + " the failed lookup's mark from before the request said it was in use");
    }
}
