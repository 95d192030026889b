package org.sessiongrid.tomcat.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.catalina.LifecycleState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionOwners;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.metrics.MessageCounts;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.tomcat.SessionGridManager;
import org.sessiongrid.tomcat.multinode.WebUser;

/**
 * Tomcat 11 embedded in the test JVM with the manager, plus a second grid member ("peer") in the same
 * JVM that reads what the Tomcat node stored, as any other node of the farm would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmbeddedManagerTest {

    private static final String MANAGER = "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
            + " clusterName=\"embedded\" stack=\"test-loopback\" nodeName=\"tomcat\"/>";

    SessionGrid peer;
    EmbeddedTomcat tomcat;
    SessionStore peerStore;

    @BeforeAll
    void start() throws Exception {
        peer = SessionGrid.start(GridConfig.builder("embedded").stack("test-loopback").nodeName("peer").build());
        tomcat = new EmbeddedTomcat("manager", MANAGER, "/shop");
        assertEquals(LifecycleState.STARTED, tomcat.context.getState());
        peerStore = peer.store("localhost/app");
    }

    @AfterAll
    void stop() throws Exception {
        if (tomcat != null) {
            tomcat.close();
        }
        if (peer != null) {
            peer.halt();
        }
    }

    private SessionRecord fromPeer(WebUser u) {
        return peerStore.find(u.sessionId, null);
    }

    @Test
    void changesMadeInPlaceAndRemovalsReachTheOtherMembers() throws Exception {
        WebUser u = new WebUser("mutate");
        u.get(tomcat.url("/mutate"));
        u.get(tomcat.url("/mutate"));
        u.get(tomcat.url("/set?name=gone&value=x"));
        AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());
        SessionRecord r = fromPeer(u);
        assertArrayEquals(new int[] {2}, (int[]) codec.decode("box", r.attribute("box"), getClass().getClassLoader()));
        assertNotNull(r.attribute("gone"));
    }

    @Test
    void asyncRequestsCommitBeforeTheirResponseCompletes() throws Exception {
        for (int i = 0; i < 20; i++) {
            WebUser u = new WebUser("async" + i);
            assertTrue(u.get(tomcat.url("/async")).body().startsWith("async-set"));
            // Committed before the response completed: visible to the other member at once.
            SessionRecord r = fromPeer(u);
            assertNotNull(r, "session of the async request in the grid");
            assertNotNull(r.attribute("async"), "change of the async request in the grid");
        }
    }

    @Test
    void sessionAccessorChangesAreCommitted() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(EmbeddedTomcat.servlet61(),
                "HttpSession.Accessor is Servlet 6.1: Tomcat 11 only");
        WebUser u = new WebUser("accessor");
        assertTrue(u.get(tomcat.url("/accessor")).body().startsWith("ok"));
        SessionRecord r = fromPeer(u);
        assertNotNull(r.attribute("accessor"), "what the Accessor changed is in the grid when the response completes");
    }

    @Test
    void webappsShareOneChannelAndKeepSeparateNamespaces() throws Exception {
        assertEquals(2, peer.members().size(), "two webapps of one Tomcat are one member: " + peer.members());
        WebUser u = new WebUser("namespaces");
        assertTrue(u.get(tomcat.url("/set?name=where&value=app")).body().startsWith("ok"));
        String appId = u.sessionId;
        // The same id sent to the other webapp names no session there (Tomcat then starts a new one).
        assertTrue(u.get(tomcat.url("/shop", "/attrs")).body().startsWith("no-session"));
        assertTrue(u.get(tomcat.url("/shop", "/set?name=where&value=shop")).body().startsWith("ok"));
        u.sessionId = appId;
        assertTrue(u.get(tomcat.url("/attrs")).body().startsWith("{where=app}"));
    }

    @Test
    void distributedCountsCoverSessionsThisNodeNeverSaw() throws Exception {
        // The /shop webapp: no other test leaves commits in flight there.
        SessionGridManager manager = (SessionGridManager) ((org.apache.catalina.Context) tomcat.tomcat.getHost()
                .findChild("/shop")).getManager();
        int before = manager.getActiveSessionsFull();
        WebUser u = new WebUser("counted");
        u.get(tomcat.url("/shop", "/counter"));
        // Created through the other member only: Tomcat holds no copy of it.
        String elsewhere = "ELSEWHERE0123456789ABCDEF01234567";
        peer.store("localhost/shop").create(elsewhere, SessionDelta.builder().maxInactiveInterval(600).build());
        assertTrue(Arrays.stream(manager.findSessions()).noneMatch(s -> s.getIdInternal().startsWith(elsewhere)),
                "Tomcat holds no copy of the session created elsewhere");
        assertEquals(before + 2, manager.getActiveSessionsFull());
        assertTrue(manager.getSessionIdsFull().contains(elsewhere), manager.getSessionIdsFull().toString());
        assertTrue(manager.getSessionIdsFull().contains(u.sessionId), manager.getSessionIdsFull().toString());
    }

    @Test
    void sessionOwnersAreAnOperationOfTheManagerMBean() throws Exception {
        // The /shop webapp: another test of this class starts and destroys a second Tomcat with an
        // /app context, whose MBean has the same name as ours and takes it along when it goes.
        WebUser u = new WebUser("owners");
        assertTrue(u.get(tomcat.url("/shop", "/counter")).body().startsWith("counter=1 "));
        SessionGridManager manager = (SessionGridManager) ((org.apache.catalina.Context) tomcat.tomcat.getHost()
                .findChild("/shop")).getManager();
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = manager.getObjectName();
        assertNotNull(name, "the manager is registered with JMX");
        String[] signature = {String.class.getName()};
        assertTrue(Arrays.stream(mbs.getMBeanInfo(name).getOperations()).anyMatch(o -> o.getName().equals("getSessionOwners")
                && o.getSignature().length == 1 && o.getSignature()[0].getType().equals(String.class.getName())),
                "getSessionOwners(String) is an operation of " + name);

        // Both members on the same settled topology, so that they agree on the owners.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!manager.isTopologyStable() || manager.getTopologyId() != peer.topologyId()) {
            assertTrue(System.nanoTime() < deadline, "the two members never settled on one topology");
            Thread.sleep(20);
        }
        // What a JMX console gets: the owners the other member computes, primary first.
        SessionOwners expected = peer.store("localhost/shop").owners(u.sessionId);
        List<String> members = new ArrayList<>();
        members.add(expected.primary());
        members.addAll(expected.backups());
        String owners = (String) mbs.invoke(name, "getSessionOwners", new Object[] {u.sessionId}, signature);
        assertEquals(String.join(",", members), owners);
        // Two members and numOwners=3: both hold the session.
        assertEquals(Set.of("tomcat", "peer"), Set.of(owners.split(",")));
        // A route suffix (a cookie from a farm with jvmRoutes) names the same session.
        assertEquals(owners, manager.getSessionOwners(u.sessionId + ".tomcat"));
        assertThrows(IllegalArgumentException.class, () -> manager.getSessionOwners(" "));

        assertNotNull(manager.getGrid());
        assertEquals("tomcat", manager.getGrid().memberName());
    }

    @Test
    void anAccessorUsedAfterTheRequestCommitsAtTheEndOfItsAccess() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(EmbeddedTomcat.servlet61(),
                "HttpSession.Accessor is Servlet 6.1: Tomcat 11 only");
        WebUser u = new WebUser("detached");
        assertTrue(u.get(tomcat.url("/accessor-detached?key=detached1")).body().startsWith("ok"));
        assertNull(fromPeer(u).attribute("detached"));
        new WebUser("control").get(tomcat.url("/release?key=detached1"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (fromPeer(u).attribute("detached") == null) {
            assertTrue(System.nanoTime() < deadline, "the detached Accessor's change never reached the grid");
            Thread.sleep(20);
        }
    }

    @Test
    void invalidateRemovesTheSessionFromTheGrid() throws Exception {
        WebUser u = new WebUser("invalidate");
        u.get(tomcat.url("/counter"));
        assertNotNull(fromPeer(u));
        u.get(tomcat.url("/invalidate"));
        assertNull(fromPeer(u));
    }

    @Test
    void aWrongValueStopsTheContextWithAMessageNamingIt() throws Exception {
        List<String> logged = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                StringBuilder b = new StringBuilder(String.valueOf(r.getMessage()));
                for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                    b.append(" | ").append(t.getMessage());
                }
                synchronized (logged) {
                    logged.add(b.toString());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(h);
        try (EmbeddedTomcat bad = new EmbeddedTomcat("bad", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"bad\" stack=\"test-loopback\" replicationMode=\"fast\"/>")) {
            assertTrue(bad.context.getState() != LifecycleState.STARTED, "context state " + bad.context.getState());
        } finally {
            root.removeHandler(h);
        }
        synchronized (logged) {
            assertTrue(logged.stream().anyMatch(l -> l.contains("replicationMode=\"fast\"") && l.contains("[sync, async]")),
                    "no log line names the setting: " + logged);
        }
    }

    @Test
    void reloadsKeepSessionsAndLeaveNoClassLoaderBehind() throws Exception {
        WebUser u = new WebUser("reload");
        assertTrue(u.get(tomcat.url("/counter")).body().startsWith("counter=1 "));
        assertTrue(u.get(tomcat.url("/cart-set?item=pear")).body().startsWith("ok"));
        List<WeakReference<ClassLoader>> old = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            old.add(new WeakReference<>(tomcat.context.getLoader().getClassLoader()));
            tomcat.context.reload();
            assertEquals(LifecycleState.STARTED, tomcat.context.getState());
            String body = u.get(tomcat.url("/counter")).body();
            assertTrue(body.startsWith("counter=" + (i + 2) + " "), "after reload " + (i + 1) + ": " + body);
        }
        String cart = u.get(tomcat.url("/cart-get")).body();
        assertTrue(cart.startsWith("Cart[pear] class=webapp.Cart webappLoader=true"), cart);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (old.stream().anyMatch(r -> r.get() != null)) {
            if (System.nanoTime() > deadline) {
                fail(old.stream().filter(r -> r.get() != null).count() + " of 20 old webapp class loaders are still"
                        + " reachable 30 s after their reload");
            }
            System.gc();
            Thread.sleep(100);
        }
    }

    /** The grid requests that carry a session's change or read: none may travel for a read on the primary. */
    private static final List<String> PER_REQUEST_TYPES = List.of("ReplicateRequest", "CommitRequest", "ReadRequest");

    /**
     * A request that only reads its session on the session's primary sends no grid message of its own: nothing
     * is replicated or asked, and its access time reaches the backup with the batched flush, at most one
     * {@code TouchBatch} per {@code accessTimeGranularity} (1 s) however many requests read the session.
     */
    @Test
    void readOnlyRequestsOnThePrimarySendNoMessageOfTheirOwn() throws Exception {
        SessionGridManager m = (SessionGridManager) tomcat.context.getManager();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!m.isTopologyStable()) {
            assertTrue(System.nanoTime() < deadline, "the two members' topology did not settle");
            Thread.sleep(20);
        }
        WebUser u = new WebUser("reader");
        assertTrue(u.get(tomcat.url("/set?name=greeting&value=hello")).body().startsWith("ok"));
        assertTrue(m.getSessionOwners(u.sessionId).startsWith("tomcat,"), "a new session's primary is the member"
                + " that created it: " + m.getSessionOwners(u.sessionId));
        Map<String, MessageCounts> tomcatBefore = m.getGrid().stats().messagesSentByType();
        Map<String, MessageCounts> peerBefore = peer.stats().messagesSentByType();
        long start = System.nanoTime();
        int reads = 50;
        for (int i = 0; i < reads; i++) {
            String body = u.get(tomcat.url("/attrs")).body();
            assertTrue(body.contains("greeting=hello"), body);
        }
        long flushes = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) / 1000 + 2;
        Map<String, MessageCounts> tomcatAfter = m.getGrid().stats().messagesSentByType();
        Map<String, MessageCounts> peerAfter = peer.stats().messagesSentByType();
        for (String type : PER_REQUEST_TYPES) {
            assertEquals(0, sent(tomcatBefore, tomcatAfter, type) + sent(peerBefore, peerAfter, type),
                    type + " sent during " + reads + " read-only requests on the primary: " + tomcatAfter);
        }
        long touches = sent(tomcatBefore, tomcatAfter, "TouchBatch");
        assertTrue(touches <= flushes, touches + " access-time batches for " + reads + " reads over at most " + flushes
                + " flushes: access times must travel batched, not per request");
    }

    private static long sent(Map<String, MessageCounts> before, Map<String, MessageCounts> after, String type) {
        return after.getOrDefault(type, MessageCounts.NONE).messages()
                - before.getOrDefault(type, MessageCounts.NONE).messages();
    }
}
