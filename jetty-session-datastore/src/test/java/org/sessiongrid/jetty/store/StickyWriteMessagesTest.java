package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
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
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.sessiongrid.metrics.MessageCounts;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A sticky write behind Jetty, over HTTP on three members in one JVM, costs the grid what a commit of the same
 * change costs any adapter: per request, the store asks the grid only what the Jetty adapter needs (a memory read
 * of the local primary's record, one commit), and the members send exactly the messages of one core commit of the
 * same two attributes. A request that only reads sends nothing but its access time, coalesced with others.
 */
class StickyWriteMessagesTest {

    /** The farm benchmark's {@code /inc?pad=1024}: the counter and a new 1 KiB payload; {@code /get} reads. */
    static final class IncServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            HttpSession s = req.getSession(true);
            Integer c = (Integer) s.getAttribute("counter");
            int next = c == null ? 1 : c + 1;
            if ("/get".equals(req.getPathInfo())) {
                next = c;
            } else {
                s.setAttribute("counter", next);
                byte[] payload = new byte[1024];
                ThreadLocalRandom.current().nextBytes(payload);
                s.setAttribute("payload", payload);
            }
            byte[] body = String.valueOf(next).getBytes();
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<SessionGrid> others = new ArrayList<>();
    private Server server;
    private RequestEndSaveTest.CountingStore store;
    private String cookie;

    @AfterEach
    void stop() throws Exception {
        others.forEach(SessionGrid::halt);
        if (server != null) {
            server.stop();
        }
    }

    private void start() throws Exception {
        String cluster = "sticky-messages-" + UUID.randomUUID();
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server);
        ids.setWorkerName("n1");
        server.addBean(ids, true);
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ctx.addServlet(new ServletHolder(new IncServlet()), "/*");
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", cluster);
        settings.set("stack", "test-loopback");
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        store = new RequestEndSaveTest.CountingStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        ctx.getSessionHandler().setMaxInactiveInterval(1800);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
        for (String node : List.of("n2", "n3")) {
            others.add(SessionGrid.start(GridConfig.builder(cluster).stack("test-loopback").nodeName(node).build()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(store.grid().members().size() == 3 && store.grid().isStable()
                && others.stream().allMatch(g -> g.isStable() && g.topologyId() == store.grid().topologyId()))) {
            assertTrue(System.nanoTime() - deadline < 0, "the three members did not settle within 30 s");
            Thread.sleep(10); // polling the members' state, bounded by the deadline
        }
    }

    private String get(String path) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app" + path));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        r.headers().firstValue("Set-Cookie").ifPresent(c -> cookie = c.split(";", 2)[0]);
        return r.body();
    }

    /**
     * SessionGrid messages sent by the three members since start, by type, once every replication request
     * sent has its reply counted (a backup counts its reply after sending it, maybe after the primary went on).
     */
    private Map<String, Long> sent() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, Long> all = sentNow();
        while (!all.getOrDefault("ReplicateRequest", 0L).equals(all.getOrDefault("ReplicateReply", 0L))) {
            assertTrue(System.nanoTime() - deadline < 0, "replies never caught up with requests: " + all);
            Thread.sleep(5); // polling counters, bounded by the deadline
            all = sentNow();
        }
        return all;
    }

    /**
     * The messages a session's reads and writes send; the members' own (membership, topology, census, suspicion,
     * state transfer) run on timers and are left out.
     */
    private static final Set<String> SESSION_PATH = Set.of("CommitRequest", "CommitReply", "ReadRequest", "ReadReply",
            "ReplicateRequest", "ReplicateReply", "Touch", "TouchBatch", "Changed", "Retry", "Failure");

    private Map<String, Long> sentNow() {
        Map<String, Long> all = new TreeMap<>();
        List<SessionGrid> members = new ArrayList<>(others);
        members.add(store.grid());
        for (SessionGrid g : members) {
            for (Map.Entry<String, MessageCounts> e : g.stats().messagesSentByType().entrySet()) {
                if (SESSION_PATH.contains(e.getKey())) {
                    all.merge(e.getKey(), e.getValue().messages(), Long::sum);
                }
            }
        }
        return all;
    }

    private static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((type, n) -> {
            long diff = n - before.getOrDefault(type, 0L);
            if (diff != 0) {
                d.put(type, diff);
            }
        });
        return d;
    }

    private Map<String, Long> times(Map<String, Long> perOne, int n) {
        Map<String, Long> d = new TreeMap<>();
        perOne.forEach((type, count) -> d.put(type, count * n));
        return d;
    }

    @Test
    void aStickyWriteSendsTheMessagesOfOneCommitAndAReadSendsNone() throws Exception {
        start();
        assertEquals("1", get("/inc"));
        String id = cookie.substring(cookie.indexOf('=') + 1).replaceAll("\\..*$", "");
        SessionStore grid = store.grid().store(store.namespace());
        assertTrue(grid.isLocalPrimary(id), "a new session starts where it is held");
        assertEquals("2", get("/inc"));

        // What one commit of the same change costs, committed by core directly on a session of the same primary.
        AttributeCodec codec = new AttributeCodec(DeserializationPolicy.parse(null));
        String other = grid.newLocalId(() -> UUID.randomUUID().toString().replace("-", ""));
        SessionRecord base = grid.create(other, SessionDelta.builder().maxInactiveInterval(1830)
                .set("counter", codec.encode("counter", 1)).set("payload", codec.encode("payload", new byte[1024]))
                .build());
        Map<String, Long> before = sent();
        grid.commit(other, SessionDelta.builder().set("counter", codec.encode("counter", 2))
                .set("payload", codec.encode("payload", new byte[1024])).lastAccessedTime(System.currentTimeMillis())
                .build(), base);
        Map<String, Long> oneCommit = since(before, sent());
        assertTrue(!oneCommit.isEmpty(), "a commit sent nothing");

        int writes = 20;
        int finds = store.calls("find");
        int commits = store.calls("commit");
        before = sent();
        for (int i = 0; i < writes; i++) {
            assertEquals(String.valueOf(3 + i), get("/inc"));
        }
        assertEquals(times(oneCommit, writes), since(before, sent()), "messages of " + writes + " sticky writes");
        assertEquals(commits + writes, store.calls("commit"), "one commit per write");
        assertEquals(finds + writes, store.calls("find"), "one check of the copy per request (a memory read here)");
        assertEquals(0, store.calls("touch"), "the commit carried every access");

        before = sent();
        for (int i = 0; i < writes; i++) {
            assertEquals(String.valueOf(2 + writes), get("/get"));
        }
        Map<String, Long> reads = since(before, sent());
        // The reads' access times reach the backups coalesced, per accessTimeGranularity, not per request.
        long batches = reads.getOrDefault("TouchBatch", 0L);
        assertTrue(batches < writes / 2, "touch batches for " + writes + " reads: " + batches);
        reads.remove("TouchBatch");
        assertEquals(Map.of(), reads, "messages of " + writes + " sticky reads");
        assertEquals(commits + writes, store.calls("commit"), "a read commits nothing");
    }
}
