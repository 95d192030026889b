package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.jetty.testing.LoopbackServer;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * No zombie ends through Jetty (issue 17, item 3): a logout or a login (Jetty's id change) whose request read
 * the session under one topology, while the user changed the session under a newer one, must not end the
 * session the user went on using. Three grid members in one JVM (this node's, under an ee11 context, and two
 * plain members standing for the user's other nodes); the requests are held after they read their session, a
 * fourth member joins (a topology change this node takes part in, which the grid cannot tell from a rejoin
 * after a pause), another member stores the user's next value under the newer topology, and the held requests
 * go on. Each gets a 503 with {@code Retry-After}; no {@code sessionDestroyed} or {@code sessionIdChanged}
 * fires for the refused end; the session keeps the newer value on every member; the user's next request here
 * reads it; and a logout and a login made now end and move it, each firing its listener once.
 */
class ZombieEndTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /**
     * {@code /inc} counts in the session; {@code /logout} invalidates it; {@code /login} changes its id;
     * {@code /fresh} makes a session, sets 1 and changes its id before it was ever saved.
     */
    static final class App extends HttpServlet {
        final Set<String> holding = ConcurrentHashMap.newKeySet();
        final Map<String, CountDownLatch> releases = new ConcurrentHashMap<>();
        /** The new id each {@code /login} got from Jetty, by the session's old id. */
        final Map<String, String> rotated = new ConcurrentHashMap<>();
        /** Sessions {@code /keep} handed to the application, by id: what a thread of its own may end later. */
        final Map<String, HttpSession> kept = new ConcurrentHashMap<>();

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String op = req.getServletPath();
            HttpSession s = req.getSession(op.equals("/inc") || op.equals("/fresh"));
            if (s == null) {
                resp.sendError(404, "no session");
                return;
            }
            Integer n = (Integer) s.getAttribute("n"); // what this request read
            hold(req.getParameter("hold"));
            switch (op) {
                case "/inc" -> {
                    s.setAttribute("n", n == null ? 1 : n + 1);
                    resp.getWriter().print(s.getAttribute("n"));
                }
                case "/logout" -> {
                    s.invalidate();
                    resp.getWriter().print("out " + n);
                }
                case "/login" -> {
                    String old = s.getId();
                    rotated.put(old, req.changeSessionId());
                    resp.getWriter().print("in " + n);
                }
                case "/keep" -> {
                    kept.put(s.getId(), s);
                    resp.getWriter().print("kept " + n);
                }
                case "/fresh" -> {
                    s.setAttribute("n", 1);
                    String old = s.getId();
                    rotated.put(old, req.changeSessionId());
                    resp.getWriter().print("fresh");
                }
                default -> resp.sendError(404);
            }
        }

        private void hold(String key) throws IOException {
            if (key == null) {
                return;
            }
            CountDownLatch release = releases.computeIfAbsent(key, k -> new CountDownLatch(1));
            holding.add(key);
            try {
                if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IOException("held request " + key + " was never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }

        void release(String key) {
            releases.computeIfAbsent(key, k -> new CountDownLatch(1)).countDown();
        }
    }

    /** A browser: its session cookie. */
    private static final class User {
        String cookie;

        String id() {
            return cookie.substring(cookie.indexOf('=') + 1).replaceAll("\\..*$", "");
        }
    }

    private final String cluster = "zombie-end-" + UUID.randomUUID();
    private final App app = new App();
    /** The id of each session whose {@code sessionDestroyed} fired, in call order. */
    private final List<String> destroyed = new CopyOnWriteArrayList<>();
    /** The old id of each session whose {@code sessionIdChanged} fired, in call order. */
    private final List<String> idChanged = new CopyOnWriteArrayList<>();
    private final List<SessionGrid> others = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final AttributeSerializer serializer = new AttributeSerializer(null);
    private Server server;
    private SessionGridDataStore store;

    private void start() throws Exception {
        server = LoopbackServer.withWorker("n1");
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        for (String path : List.of("/inc", "/logout", "/login", "/fresh", "/keep")) {
            ctx.addServlet(new ServletHolder(app), path);
        }
        ctx.addEventListener(new HttpSessionListener() {
            @Override
            public void sessionDestroyed(HttpSessionEvent se) {
                destroyed.add(se.getSession().getId());
            }
        });
        ctx.addEventListener((HttpSessionIdListener) (event, oldId) -> idChanged.add(oldId));
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", cluster);
        settings.set("stack", "test-loopback");
        store = LoopbackServer.serveWithGrid(server, ctx, manager -> new SessionGridDataStore(settings, manager));
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (SessionGrid g : others) {
            g.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    private SessionGrid member(String name) {
        SessionGrid g = SessionGrid.start(GridConfig.builder(cluster).stack("test-loopback").nodeName(name).build());
        others.add(g);
        return g;
    }

    private List<SessionGrid> members() {
        List<SessionGrid> all = new ArrayList<>(others);
        all.add(0, store.grid());
        return all;
    }

    private void awaitStable(int size) throws InterruptedException {
        await(size + " members on one stable topology", () -> {
            long id = store.grid().topologyId();
            return members().stream().allMatch(g -> g.isStable() && g.members().size() == size && g.topologyId() == id);
        });
    }

    private HttpRequest request(String path, User user) {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app" + path))
                .timeout(WAIT);
        if (user.cookie != null) {
            b.header("Cookie", user.cookie);
        }
        return b.build();
    }

    private String get(String path, User user) throws Exception {
        HttpResponse<String> r = http.send(request(path, user), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        r.headers().allValues("Set-Cookie").stream().reduce((first, last) -> last)
                .ifPresent(c -> user.cookie = c.split(";", 2)[0]);
        return r.body();
    }

    /** A second tab of {@code user}: {@code path} held in the application after it read the session. */
    private CompletableFuture<HttpResponse<String>> held(String path, String key, User user) throws Exception {
        CompletableFuture<HttpResponse<String>> r = http.sendAsync(request(path + "?hold=" + key, user),
                HttpResponse.BodyHandlers.ofString());
        await("the " + path + " request read its session and waits", () -> app.holding.contains(key));
        return r;
    }

    /** The counter of session {@code id} as member {@code g} reads it, or null if it has no live session. */
    private Integer counter(SessionGrid g, String id) throws Exception {
        SessionRecord r = g.store(store.namespace()).find(id, null);
        return r == null ? null : (Integer) serializer.decode("n", r.attribute("n"));
    }

    private static void assertRefused(HttpResponse<String> r, String what) {
        assertEquals(503, r.statusCode(), what + " answered " + r.statusCode() + " " + r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), what + ": 503 with Retry-After");
        assertTrue(r.headers().firstValue("Set-Cookie").isEmpty(), what + ": no new cookie with the 503");
    }

    @Test
    void aLogoutOrLoginThatReadBeforeATopologyChangeIsRefusedWhenTheUserWentOnElsewhere() throws Exception {
        start();
        SessionGrid b = member("B");
        member("C");
        awaitStable(3);
        User leaving = new User();
        User rotating = new User();
        assertEquals("1", get("/inc", leaving));
        assertEquals("1", get("/inc", rotating));

        // A second tab of each user reads the session (1) here and is held: a logout, and a login that rotates
        // the session's id.
        CompletableFuture<HttpResponse<String>> logout = held("/logout", "logout", leaving);
        CompletableFuture<HttpResponse<String>> login = held("/login", "login", rotating);

        // The topology changes; the users go on elsewhere and store 2 under the newer topology.
        long before = store.grid().topologyId();
        member("D");
        awaitStable(4);
        assertTrue(store.grid().topologyId() > before);
        for (User u : List.of(leaving, rotating)) {
            var bs = b.store(store.namespace());
            SessionRecord r = bs.find(u.id(), null);
            bs.commit(u.id(), SessionDelta.builder().set("n", serializer.encode("n", 2)).build(), r);
        }

        app.release("logout");
        app.release("login");
        assertRefused(logout.get(WAIT.toSeconds(), TimeUnit.SECONDS), "the logout that read before the change");
        assertRefused(login.get(WAIT.toSeconds(), TimeUnit.SECONDS), "the login that read before the change");
        assertEquals(List.of(), destroyed, "sessionDestroyed fired for a session that goes on");
        assertEquals(List.of(), idChanged, "sessionIdChanged fired for an id that stays");
        String unused = app.rotated.get(rotating.id());
        assertNotNull(unused, "the refused login got a new id from Jetty");
        for (SessionGrid g : members()) {
            assertEquals(2, counter(g, leaving.id()), "the logged-out session as " + g.memberName() + " reads it");
            assertEquals(2, counter(g, rotating.id()), "the old id as " + g.memberName() + " reads it");
            assertNull(counter(g, unused.replaceAll("\\..*$", "")), "the refused login's new id is unused");
        }

        // The users' next requests here read what the grid holds; a logout and a login made now go through.
        assertEquals("3", get("/inc", leaving));
        assertEquals("3", get("/inc", rotating));
        String loggedOut = leaving.id();
        assertEquals("out 3", get("/logout", leaving));
        assertEquals(List.of(loggedOut), destroyed, "sessionDestroyed fires once when the session ends");
        for (SessionGrid g : members()) {
            assertNull(counter(g, loggedOut), "the ended session as " + g.memberName() + " reads it");
        }
        String oldId = rotating.id();
        assertEquals("in 3", get("/login", rotating));
        assertNotEquals(oldId, rotating.id(), "the login's new cookie");
        assertEquals(List.of(oldId), idChanged, "sessionIdChanged fires once for the id change");
        assertEquals("4", get("/inc", rotating), "the session goes on under its new id");
        for (SessionGrid g : members()) {
            assertNull(counter(g, oldId), "the old id as " + g.memberName() + " reads it");
            assertEquals(4, counter(g, rotating.id()), "the new id as " + g.memberName() + " reads it");
        }
        assertEquals(List.of(loggedOut), destroyed, "no sessionDestroyed for an id change");
    }

    /**
     * An application thread that ends a session outside any request (an administrator's "end this user's
     * sessions", a WebSocket handler holding the {@code HttpSession}) with a copy read before a topology change,
     * while the user went on elsewhere under the newer one: the grid refuses, and since there is no client to
     * answer 503 to, the caller gets the refusal (as from Tomcat's adapter). No listener fires, the session keeps
     * the newer value, the copy leaves the cache so that the next request reads the grid's; an end made then from
     * a thread of the application, with a current copy, goes through and fires {@code sessionDestroyed} once.
     */
    @Test
    void anEndOutsideARequestWithACopyReadBeforeATopologyChangeIsRefusedToItsCaller() throws Exception {
        start();
        SessionGrid b = member("B");
        member("C");
        awaitStable(3);
        User user = new User();
        assertEquals("1", get("/inc", user));
        assertEquals("kept 1", get("/keep", user));
        HttpSession stale = app.kept.remove(user.id());

        long before = store.grid().topologyId();
        member("D");
        awaitStable(4);
        assertTrue(store.grid().topologyId() > before);
        var bs = b.store(store.namespace());
        bs.commit(user.id(), SessionDelta.builder().set("n", serializer.encode("n", 2)).build(), bs.find(user.id(), null));

        RuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                stale::invalidate, "an end outside a request with a copy from before the change");
        assertTrue(refused.getMessage().contains(user.id()), "the refusal names the session: " + refused.getMessage());
        assertEquals(List.of(), destroyed, "sessionDestroyed fired for a session that goes on");
        for (SessionGrid g : members()) {
            assertEquals(2, counter(g, user.id()), "the session as " + g.memberName() + " reads it");
        }

        assertEquals("3", get("/inc", user), "the next request reads what the grid holds");
        assertEquals("kept 3", get("/keep", user));
        String id = user.id();
        app.kept.remove(id).invalidate();
        assertEquals(List.of(id), destroyed, "sessionDestroyed fires once when the session ends");
        for (SessionGrid g : members()) {
            assertNull(counter(g, id), "the ended session as " + g.memberName() + " reads it");
        }
    }

    /**
     * A session whose id changes in the request that made it (a login page that starts the session) has no
     * record to move: it is stored under the new id only, at its first save.
     */
    @Test
    void aNewSessionWhoseIdChangesBeforeItsFirstSaveIsStoredUnderTheNewIdOnly() throws Exception {
        start();
        User user = new User();
        assertEquals("fresh", get("/fresh", user));
        assertEquals(1, app.rotated.size());
        String old = app.rotated.keySet().iterator().next();
        assertEquals(List.of(old), idChanged, "sessionIdChanged fires once");
        assertEquals(app.rotated.get(old), user.id(), "the client's cookie names the new id");
        assertNull(counter(store.grid(), old), "the first id was never stored");
        assertEquals(1, counter(store.grid(), user.id()));
        assertEquals("2", get("/inc", user));
        assertEquals(List.of(), destroyed);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting until " + what);
            }
            Thread.sleep(20); // polling a cheap condition, bounded by the deadline
        }
    }
}
