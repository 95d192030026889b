package org.sessiongrid.tomcat.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import java.util.List;

import org.apache.catalina.LifecycleState;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;
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

            // A new session cannot be stored either: however the servlet commits its answer, the commit
            // point turns it into a 503 with Retry-After, without the cookie of the session nobody holds.
            SessionGridManager m = (SessionGridManager) t.context.getManager();
            int held = m.getActiveSessions();
            for (String how : List.of("cl", "flush", "big", "close", "redirect", "error", "forward", "include",
                    "async")) {
                WebUser fresh = new WebUser("new-" + how);
                HttpResponse<String> answer = fresh.get(t.url("/counter?out=" + how));
                assertEquals(503, answer.statusCode(), how + ": " + answer.body());
                assertEquals("1", answer.headers().firstValue("Retry-After").orElse(null), how + ": " + answer.headers());
                assertNull(fresh.sessionId, how + ": a cookie for a session the grid does not hold");
                assertTrue(answer.headers().firstValue("X-Counter").isEmpty(), how + ": the servlet's headers went out");
                assertTrue(!answer.body().contains("counter="), how + ": the servlet's body went out: " + answer.body());
            }
            assertEquals(held, m.getActiveSessions(), "the copies of the refused sessions are dropped");
        } finally {
            p1.halt();
            p2.halt();
        }
    }

    @Test
    void changesAfterTheResponseWasCommittedAreStoredAtTheEndAndCounted() throws Exception {
        SessionGrid peer = SessionGrid.start(GridConfig.builder("late").stack("test-loopback").nodeName("peer").build());
        try (EmbeddedTomcat t = new EmbeddedTomcat("late", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"late\" stack=\"test-loopback\" nodeName=\"tomcat\"/>")) {
            SessionGridManager m = (SessionGridManager) t.context.getManager();
            AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());
            WebUser u = new WebUser("late");
            for (int round = 1; round <= 2; round++) {
                long before = m.getGrid().metrics().getLateCommits();
                assertEquals(200, u.get(t.url("/late")).statusCode());
                // The request's end follows the client's answer: wait for it, with a deadline.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (m.getGrid().metrics().getLateCommits() == before) {
                    assertTrue(System.nanoTime() < deadline, "no late commit counted in round " + round);
                    Thread.sleep(20);
                }
                SessionRecord r = peer.store("localhost/app").find(u.sessionId, null);
                assertEquals(java.util.Set.of("early", "late", "box"), r.attributes().keySet());
                int[] box = (int[]) codec.decode("box", r.attributes().get("box").value(), getClass().getClassLoader());
                assertEquals(round, box[0], "the change in place after the commit point is stored");
            }
        } finally {
            peer.halt();
        }
    }

    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread th = new Thread(r, "limits-test-client");
        th.setDaemon(true);
        return th;
    });
}
