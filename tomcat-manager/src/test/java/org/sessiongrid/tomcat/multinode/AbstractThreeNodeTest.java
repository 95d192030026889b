package org.sessiongrid.tomcat.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.sessiongrid.tomcat.multinode.TomcatCluster.Node;

/**
 * Three Tomcat JVMs with the test webapp, one SessionGrid cluster, and HTTP users. The scenarios share
 * the cluster to keep the run short; they run in order because the last ones kill a node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AbstractThreeNodeTest {

    private static final Pattern COUNTER = Pattern.compile("counter=(\\d+) node=(\\w+)");

    TomcatCluster cluster;
    Node a;
    Node b;
    Node c;
    final ExecutorService pool = Executors.newFixedThreadPool(64);
    /** Sessions with a 2 s timeout whose sessionDestroyed the last test counts; created before the kill. */
    final List<WebUser> shortLived = new ArrayList<>();
    /** When the kill test last saw one settled topology (epoch ms): no topology change follows until the rejoin. */
    volatile long settledAfterKill;

    /**
     * The members' remoteTimeout, shorter than the 15 s default so that the quiet period below stays short.
     * It still exceeds what the kill test's failover takes on loopback (the killed member's closed sockets
     * get it out of the view in 1-2 s), which is what requests wait for across the kill.
     */
    static final Duration REMOTE_TIMEOUT = Duration.ofSeconds(3);

    /**
     * How long after the last expected sessionDestroyed, and after the last topology change, a second call
     * could still come. Every call follows an expiry announcement won at the session's primary. In a settled
     * topology the only members that could announce once more are the primaries: one that became primary at
     * the last change does so after its grace for inherited sessions (2 x accessTimeGranularity + one expiry
     * pass: 2 x 1 s + 0.5 s, GridNode), the others at their next expiry pass (0.5 s); and an announcement's
     * commit waits at most remoteTimeout for the backups. A later call would need a topology change, and
     * Tomcat's own expiry never fires the listeners (SessionGridManager.processExpires).
     */
    static final Duration EXPIRY_QUIET_PERIOD = REMOTE_TIMEOUT.plusMillis(2 * 1_000 + 500 + 500);

    abstract TomcatCluster.Line line();

    @BeforeAll
    void startCluster() throws Exception {
        cluster = TomcatCluster.start(line(), "three", 3, Map.of("sg.numOwners", "3",
                "sessiongrid.remoteTimeout", String.valueOf(REMOTE_TIMEOUT.toMillis())));
        a = cluster.node("n1");
        b = cluster.node("n2");
        c = cluster.node("n3");
    }

    @AfterAll
    void stopCluster() {
        pool.shutdownNow();
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void formLoginOnOneNodeIsAuthenticatedOnAnother() throws Exception {
        WebUser u = new WebUser("alice");
        HttpResponse<String> r = u.get(a.url("/secure/whoami"));
        assertTrue(r.body().contains("login-page"), "FORM login page expected, got " + r.statusCode() + " " + r.body());
        String before = u.sessionId;
        assertNotNull(before, "the login page starts a session");

        r = u.postForm(a.url("/j_security_check"), "j_username=alice&j_password=secret");
        assertTrue(r.statusCode() == 302 || r.statusCode() == 303, "redirect after login, got " + r.statusCode());
        assertNotEquals(before, u.sessionId, "the session id rotates at login");

        r = u.get(b.url("/secure/whoami"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("user=alice"), "authenticated on the other node: " + r.body());

        String oldId = before.substring(0, before.indexOf('.'));
        String newId = u.sessionId.substring(0, u.sessionId.indexOf('.'));
        assertEquals(List.of(a.route + ": idChanged " + oldId + " " + newId), events("idChanged " + oldId + " "),
                "HttpSessionIdListener fires once, on the node of the login");

        WebUser attacker = new WebUser("fixation");
        attacker.sessionId = before;
        assertTrue(attacker.get(c.url("/attrs")).body().startsWith("no-session"), "the pre-login id is dead");
    }

    @Test
    @Order(1)
    void ourLogLinesGoToTomcatsJuli() {
        // The child JVMs have no slf4j-simple: SLF4J -> slf4j-jdk14 -> JULI, formatted by logging.properties.
        String log = TomcatCluster.read(a.slot.log());
        assertTrue(log.contains(" INFO org.sessiongrid.tomcat.SessionGridManager SessionGrid sessions for localhost/app"
                + " on member n1 of cluster 'three'"), TomcatCluster.tail(log));
    }

    @Test
    @Order(2)
    void classOnlyInTheWebappIsReadOnAnotherNode() throws Exception {
        WebUser u = new WebUser("cart");
        assertTrue(u.get(a.url("/cart-set?item=apple")).body().startsWith("ok"));
        String body = u.get(b.url("/cart-get")).body();
        assertTrue(body.startsWith("Cart[apple] class=webapp.Cart webappLoader=true"), body);
    }

    @Test
    @Order(3)
    void nonSerializableAttributeIsRefusedNamingAttributeAndClass() throws Exception {
        String body = new WebUser("ns").get(a.url("/nonserializable")).body();
        assertTrue(body.startsWith("refused: ") && body.contains("'thing'") && body.contains("java.lang.Object"), body);
    }

    @Test
    @Order(4)
    void invalidatedSessionIsGoneEverywhereAndALateCommitCannotRevive() throws Exception {
        WebUser u = new WebUser("inv");
        assertEquals(1, counter(u.get(a.url("/counter"))));
        assertEquals(2, counter(u.get(b.url("/counter"))));
        // A request on C changes the session and is held before its end ...
        Future<HttpResponse<String>> late = pool.submit(() -> u.get(c.url("/counter?hold=inv")));
        WebUser control = new WebUser("control");
        await("request held on " + c.route, () -> body(control, c.url("/holding?key=inv")).startsWith("true"));
        // ... while A invalidates it.
        assertTrue(u.get(a.url("/invalidate")).body().startsWith("invalidated"));
        assertTrue(u.get(b.url("/attrs")).body().startsWith("no-session"), "B sees no session after invalidate on A");
        body(control, c.url("/release?key=inv"));
        late.get(60, TimeUnit.SECONDS);
        for (Node n : List.of(a, b, c)) {
            assertTrue(u.get(n.url("/attrs")).body().startsWith("no-session"), "late commit revived the session on "
                    + n.route);
        }
    }

    @Test
    @Order(5)
    void roundRobinWithLockingLosesNoIncrement() throws Exception {
        int users = 16;
        int parallel = 4;
        int rounds = 4;
        List<WebUser> us = new ArrayList<>();
        AtomicInteger[] acked = new AtomicInteger[users];
        for (int i = 0; i < users; i++) {
            WebUser u = new WebUser("locked" + i);
            assertEquals(1, counter(u.get(cluster.nodes.get(i % 3).url("/locked/counter"))));
            us.add(u);
            acked[i] = new AtomicInteger(1);
        }
        AtomicInteger rr = new AtomicInteger();
        for (int round = 0; round < rounds; round++) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                WebUser u = us.get(i);
                AtomicInteger ack = acked[i];
                for (int p = 0; p < parallel; p++) {
                    Node n = cluster.nodes.get(rr.getAndIncrement() % 3);
                    fs.add(pool.submit(() -> {
                        HttpResponse<String> r = u.get(n.url("/locked/counter"));
                        if (r.statusCode() == 200) {
                            ack.incrementAndGet();
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        }
        for (int i = 0; i < users; i++) {
            String attrs = us.get(i).get(cluster.nodes.get(i % 3).url("/attrs")).body();
            assertTrue(attrs.startsWith("{counter=" + acked[i].get() + "}"), "user " + i + ": "
                    + acked[i].get() + " increments acknowledged, session holds " + attrs);
            assertTrue(acked[i].get() > 1 + rounds * parallel / 2, "most requests succeed: " + acked[i].get());
        }
    }

    @Test
    @Order(6)
    void roundRobinWithoutLockingKeepsEveryAttributeOfConcurrentRequests() throws Exception {
        int users = 16;
        List<WebUser> us = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            WebUser u = new WebUser("attrs" + i);
            assertTrue(u.get(cluster.nodes.get(i % 3).url("/set?name=init&value=0")).body().startsWith("ok"));
            us.add(u);
        }
        AtomicInteger rr = new AtomicInteger();
        for (int round = 0; round < 3; round++) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (WebUser u : us) {
                for (int p = 0; p < 4; p++) {
                    Node n = cluster.nodes.get(rr.getAndIncrement() % 3);
                    String name = "a" + round + p;
                    fs.add(pool.submit(() -> u.get(n.url("/set?name=" + name + "&value=" + name))));
                }
            }
            for (Future<HttpResponse<String>> f : fs) {
                assertEquals(200, f.get(120, TimeUnit.SECONDS).statusCode());
            }
        }
        for (int i = 0; i < users; i++) {
            String attrs = us.get(i).get(cluster.nodes.get((i + 1) % 3).url("/attrs")).body();
            for (int round = 0; round < 3; round++) {
                for (int p = 0; p < 4; p++) {
                    String name = "a" + round + p;
                    assertTrue(attrs.contains(name + "=" + name), "user " + i + " lost " + name + ": " + attrs);
                }
            }
        }
    }

    /**
     * Every way an application commits its response before it returns (Content-Length reached, a flush,
     * a body larger than the buffer, close, redirect, error page, forward, include, async completion on
     * an application thread): round-robin users, one request after another, each on the next node,
     * never read an older counter than their last answer, and no acknowledged increment is lost.
     */
    @Test
    @Order(6)
    void roundRobinUsersSeeTheirLastWriteHoweverTheResponseIsCommitted() throws Exception {
        List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger requests = new AtomicInteger();
        for (String how : OUTPUTS) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                WebUser u = new WebUser(how + i);
                int user = i;
                fs.add(pool.submit(() -> {
                    for (int step = 1; step <= 6; step++) {
                        Node n = cluster.nodes.get((user + step) % 3);
                        // The servlet lingers after its answer: the next request arrives on another node
                        // while the first one still runs.
                        HttpResponse<String> r = u.get(n.url("/counter?linger=300&out=" + how));
                        requests.incrementAndGet();
                        String seen = r.headers().firstValue("X-Counter")
                                .orElse("none (status " + r.statusCode() + ": " + r.body() + ")");
                        if (!String.valueOf(step).equals(seen)) {
                            violations.add(how + " user " + user + " step " + step + " on " + n.route + ": counter "
                                    + seen);
                        }
                    }
                    String attrs = u.get(cluster.nodes.get(user % 3).url("/attrs")).body();
                    if (!attrs.startsWith("{counter=6}")) {
                        violations.add(how + " user " + user + " lost an increment: " + attrs);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        }
        assertTrue(violations.isEmpty(), violations.size() + " stale reads or lost updates in " + requests
                + " requests: " + violations);
    }

    /**
     * Every node, given a cookie whose route names a member that is not the session's primary, answers
     * with the corrected cookie, every time (not only the first time it sees the session), and the
     * page already sees the corrected id.
     */
    @Test
    @Order(6)
    void everyNodeCorrectsARouteThatNamesANonPrimaryEveryTime() throws Exception {
        WebUser owner = new WebUser("routed");
        assertEquals(1, counter(owner.get(a.url("/counter"))));
        assertRoutesCorrected(owner.sessionId, cluster.nodes);
    }

    /** For each node, three times: a cookie routed to each non-primary member is answered with the primary's. */
    private void assertRoutesCorrected(String sessionId, List<Node> nodes) throws Exception {
        String key = sessionId.substring(0, sessionId.indexOf('.'));
        WebUser probe = new WebUser("probe");
        String owners = body(probe, nodes.get(0).url("/owners?id=" + key));
        String primary = owners.substring("owners=".length(), owners.indexOf(','));
        List<String> wrong = cluster.nodes.stream().map(n -> n.route).filter(r -> !r.equals(primary)).toList();
        for (int round = 0; round < 3; round++) {
            for (Node n : nodes) {
                for (String route : wrong) {
                    WebUser u = new WebUser("misrouted");
                    u.sessionId = key + "." + route;
                    HttpResponse<String> r = u.get(n.url("/id"));
                    assertEquals(key + "." + primary, u.sessionId, "round " + round + " on " + n.route + ", cookie routed to "
                            + route + ": " + r.headers().allValues("Set-Cookie"));
                    assertTrue(r.body().startsWith("id=" + key + "." + primary + " "), "getId() on " + n.route + ": "
                            + r.body());
                }
            }
        }
    }

    /** The servlet's ways of writing its answer ({@code ?out=}); see TestServlet#answerCounter. */
    static final List<String> OUTPUTS = List.of("cl", "flush", "big", "close", "redirect", "error", "forward",
            "include", "async");

    @Test
    @Order(7)
    void stickyUsersContinueTheirCountersAfterKillMinus9() throws Exception {
        // Sessions that will time out after the kill; some created on the node that dies.
        for (int i = 0; i < 6; i++) {
            WebUser s = new WebUser("short" + i);
            Node n = i % 2 == 0 ? b : a;
            assertTrue(s.get(n.url("/short?timeout=2")).body().startsWith("id="));
            s.get(c.url("/attrs")); // a copy on a third node, which must not fire the listener again
            shortLived.add(s);
        }
        List<WebUser> users = new ArrayList<>();
        Map<WebUser, Integer> last = new HashMap<>();
        for (int i = 0; i < 24; i++) {
            WebUser u = new WebUser("sticky" + i);
            HttpResponse<String> r = u.get(cluster.nodes.get(i % 3).url("/mutate"));
            assertEquals(1, counter(r));
            assertEquals(cluster.nodes.get(i % 3).route, u.route(), "a new session's route names the node that created it");
            users.add(u);
            last.put(u, 1);
        }
        stickyRounds(users, last, 3);
        List<WebUser> onVictim = users.stream().filter(u -> b.route.equals(u.route())).toList();
        assertTrue(onVictim.size() >= 4, "users on the node to kill: " + onVictim.size());

        b.kill();

        stickyRounds(users, last, 3);
        for (WebUser u : users) {
            assertNotEquals(b.route, u.route(), u + " still routes to the dead node");
            assertNotNull(cluster.node(u.route()), u.toString());
        }
        // After the failover and its rebalance, a cookie still naming the dead node (or any other
        // non-primary) is corrected by every live node.
        cluster.awaitStableTopology();
        settledAfterKill = System.currentTimeMillis();
        assertRoutesCorrected(onVictim.get(0).sessionId.replaceFirst("\\.[^.]+$", "." + b.route), cluster.alive());
    }

    /** Each round, every user sends one request where a sticky balancer would: the node its route names. */
    private void stickyRounds(List<WebUser> users, Map<WebUser, Integer> last, int rounds) throws Exception {
        for (int round = 0; round < rounds; round++) {
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (WebUser u : users) {
                fs.add(CompletableFuture.runAsync(() -> {
                    try {
                        Node target = cluster.node(u.route());
                        if (target == null || !target.alive()) {
                            List<Node> alive = cluster.alive();
                            target = alive.get(Math.floorMod(u.name.hashCode(), alive.size()));
                        }
                        HttpResponse<String> r = u.get(target.url("/mutate"));
                        int expected = last.get(u) + 1;
                        assertEquals(expected, counter(r), u + " on " + target.route + ": " + r.body());
                        synchronized (last) {
                            last.put(u, expected);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            for (CompletableFuture<Void> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Order(8)
    void sessionDestroyedFiresOnceInTheWebappLoaderAlsoForSessionsOfTheKilledNode() throws Exception {
        assertTrue(!shortLived.isEmpty(), "runs after the kill test");
        List<String> ids = shortLived.stream().map(u -> u.sessionId.substring(0, u.sessionId.indexOf('.'))).toList();
        await("sessionDestroyed for every short session",
                () -> ids.stream().allMatch(id -> events("destroyed " + id + " ").size() >= 1
                        && events("unbound " + id).size() >= 1));
        long lastCallSeen = System.currentTimeMillis();
        // Stale copies on surviving nodes are found gone by a request and dropped: no second event.
        for (WebUser s : shortLived) {
            for (Node n : cluster.alive()) {
                assertTrue(s.get(n.url("/attrs")).body().startsWith("no-session"), s + " on " + n.route);
            }
        }
        // "Exactly once" holds over time: no second call during the quiet period.
        long quietUntil = Math.max(lastCallSeen, settledAfterKill) + EXPIRY_QUIET_PERIOD.toMillis();
        do {
            for (String id : ids) {
                List<String> ev = events("destroyed " + id + " ");
                assertEquals(1, ev.size(), "sessionDestroyed of " + id + " fired " + ev);
            }
            Thread.sleep(100); // watching for a late call until the quiet period ends
        } while (System.currentTimeMillis() < quietUntil);
        for (String id : ids) {
            List<String> ev = events("destroyed " + id + " ");
            assertEquals(1, ev.size(), "sessionDestroyed of " + id + " fired " + ev);
            assertTrue(ev.get(0).endsWith("webappLoader=true"), ev.get(0));
            assertEquals(1, events("unbound " + id).size(), "valueUnbound of " + id + ": " + events("unbound " + id));
        }
    }

    /**
     * The killed node rejoins and takes its share again: cookies still naming whatever member served
     * the session before are corrected to the primary of the new topology, on every node.
     */
    @Test
    @Order(9)
    void afterARejoinEveryNodeCorrectsRoutesToTheNewPrimaries() throws Exception {
        assertTrue(!b.alive(), "runs after the kill test");
        List<WebUser> users = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            WebUser u = new WebUser("before-rejoin" + i);
            assertEquals(1, counter(u.get(cluster.alive().get(i % 2).url("/counter"))));
            users.add(u);
        }
        cluster.restart(b);
        WebUser probe = new WebUser("probe");
        WebUser moved = null;
        for (WebUser u : users) {
            String key = u.sessionId.substring(0, u.sessionId.indexOf('.'));
            if (body(probe, a.url("/owners?id=" + key)).startsWith("owners=" + b.route + ",")) {
                moved = u;
                break;
            }
        }
        assertNotNull(moved, "the rejoined node is primary of none of 16 sessions");
        // The user's cookie still names the member that served it before the rejoin.
        assertRoutesCorrected(moved.sessionId, cluster.alive());
    }

    /** Event lines of every node (the killed one's included) starting with {@code prefix}. */
    private List<String> events(String prefix) {
        List<String> out = new ArrayList<>();
        for (Node n : cluster.nodes) {
            try {
                for (String l : n.events()) {
                    if (l.startsWith(prefix)) {
                        out.add(n.route + ": " + l);
                    }
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    static int counter(HttpResponse<String> r) {
        Matcher m = COUNTER.matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            fail("unexpected response " + r.statusCode() + ": " + r.body());
        }
        return Integer.parseInt(m.group(1));
    }

    static String body(WebUser u, String url) {
        try {
            return u.get(url).body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after 30 s waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
