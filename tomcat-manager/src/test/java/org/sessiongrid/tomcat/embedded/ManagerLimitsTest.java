package org.sessiongrid.tomcat.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.catalina.LifecycleState;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.session.SessionRecord;
import org.junit.jupiter.api.Test;
import org.sessiongrid.tomcat.SessionGridManager;
import org.sessiongrid.tomcat.multinode.WebUser;

/** Tomcat's own Manager settings and the grid's deserialization filter, on one embedded node. */
class ManagerLimitsTest {

    @Test
    void maxActiveSessionsAndDeserializationFilterApply() throws Exception {
        try (EmbeddedTomcat t = new EmbeddedTomcat("limits", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"limits\" stack=\"test-loopback\" maxActiveSessions=\"1\""
                + " deserializationFilter=\"!webapp.Cart\"/>")) {
            assertEquals(LifecycleState.STARTED, t.context.getState());
            SessionGridManager m = (SessionGridManager) t.context.getManager();

            // A class the other nodes would refuse is refused where the application can still react.
            String body = new WebUser("filtered").get(t.url("/cart-set?item=x")).body();
            assertTrue(body.startsWith("refused: ") && body.contains("webapp.Cart"), body);

            // maxActiveSessions still limits this node's sessions.
            int status = new WebUser("second").get(t.url("/counter")).statusCode();
            assertEquals(500, status, "a session beyond maxActiveSessions is refused");
            assertEquals(1, m.getRejectedSessions());
            assertEquals(1, m.getActiveSessions());
        }
    }

    @Test
    void aRequestThatCannotGetTheLockInTimeIsRefusedWith503() throws Exception {
        try (EmbeddedTomcat t = new EmbeddedTomcat("locking", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"locking\" stack=\"test-loopback\" lockingMode=\"all\" lockTimeout=\"300\"/>")) {
            WebUser u = new WebUser("locked");
            assertTrue(u.get(t.url("/counter")).body().startsWith("counter=1 "));
            Future<HttpResponse<String>> holder = POOL.submit(() -> u.get(t.url("/counter?hold=lock1")));
            WebUser control = new WebUser("control");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!control.get(t.url("/holding?key=lock1")).body().startsWith("true")) {
                assertTrue(System.nanoTime() < deadline, "the first request never reached its hold point");
                Thread.sleep(20);
            }
            // The session's lock is held by the first request: the second waits lockTimeout, then 503.
            assertEquals(503, u.get(t.url("/counter")).statusCode());
            control.get(t.url("/release?key=lock1"));
            assertTrue(holder.get(30, TimeUnit.SECONDS).body().startsWith("counter=2 "));
            assertTrue(u.get(t.url("/counter")).body().startsWith("counter=3 "), "the refused request changed nothing");
        }
    }

    @Test
    void filteredAttributesStayLocalAndTheJmxExpireOperationInvalidatesEverywhere() throws Exception {
        SessionGrid peer = SessionGrid.start(GridConfig.builder("filters").stack("test-loopback").nodeName("peer").build());
        try (EmbeddedTomcat t = new EmbeddedTomcat("filters", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"filters\" stack=\"test-loopback\" nodeName=\"tomcat\""
                + " sessionAttributeNameFilter=\"^(?!local).*\"/>")) {
            SessionGridManager m = (SessionGridManager) t.context.getManager();
            WebUser u = new WebUser("filtered");
            u.get(t.url("/set?name=shared&value=1"));
            u.get(t.url("/set?name=localOnly&value=2"));
            assertTrue(u.get(t.url("/attrs")).body().startsWith("{localOnly=2, shared=1}"), "both usable on this node");
            SessionRecord r = peer.store("localhost/app").find(u.sessionId, null);
            assertEquals(java.util.Set.of("shared"), r.attributes().keySet(), "only what the filter lets through travels");

            m.expireSession(u.sessionId); // what the Manager webapp's "invalidate" calls
            assertNull(peer.store("localhost/app").find(u.sessionId, null));
        } finally {
            peer.halt();
        }
    }

    @Test
    void aSessionTheGridCannotProduceIsA503BeforeTheWebappRuns() throws Exception {
        GridConfig.Builder peers = GridConfig.builder("refusing").stack("test-loopback")
                .set("partitionPolicy", "minority-refuses-writes");
        SessionGrid p1 = SessionGrid.start(peers.nodeName("p1").build());
        SessionGrid p2 = SessionGrid.start(peers.nodeName("p2").build());
        try (EmbeddedTomcat t = new EmbeddedTomcat("refusing", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"refusing\" stack=\"test-loopback\" nodeName=\"tomcat\""
                + " partitionPolicy=\"minority-refuses-writes\"/>")) {
            WebUser u = new WebUser("cut-off");
            assertTrue(u.get(t.url("/counter")).body().startsWith("counter=1 "));
            String id = u.sessionId;
            // Alone of three: a minority, which refuses rather than answer from copies that may be stale.
            p1.halt();
            p2.halt();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            HttpResponse<String> r = u.get(t.url("/counter"));
            while (r.statusCode() != 503) {
                assertTrue(System.nanoTime() < deadline, "never refused; last answer " + r.statusCode() + " " + r.body());
                assertTrue(r.body().startsWith("counter="), "answered something else than the session: " + r.body());
                Thread.sleep(100);
                r = u.get(t.url("/counter"));
            }
            // Refused before the webapp ran: no new session under another id, the user keeps its own.
            assertTrue(r.headers().firstValue("set-cookie").isEmpty(), "a refused request set a cookie: " + r.headers());
            assertEquals(id, u.sessionId);
        } finally {
            p1.halt();
            p2.halt();
        }
    }

    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread th = new Thread(r, "limits-test-client");
        th.setDaemon(true);
        return th;
    });
}
