package org.sessiongrid.tomcat.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sessiongrid.tomcat.multinode.AbstractThreeNodeTest.await;
import static org.sessiongrid.tomcat.multinode.AbstractThreeNodeTest.body;
import static org.sessiongrid.tomcat.multinode.AbstractThreeNodeTest.counter;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.sessiongrid.tomcat.multinode.TomcatCluster.Node;

/**
 * No zombie writes through Tomcat (issue 17, item 3): a request in flight on a node that is SIGSTOPped long
 * enough to be expelled must not, once the node is thawed and has rejoined, store what it computed before
 * the freeze over what the user stored on another node meanwhile, nor end (a logout) the session the user
 * went on using there. Its client gets a 503 and the session keeps the newer value, also when a later
 * request of the same user refreshed, on the thawed node, the copy the held request still uses (Tomcat
 * shares a node's copy among the user's requests). Failure detection and merges are shortened (3 s, 1-2 s) so that the freeze, the
 * expulsion and the rejoin take seconds, and two nodes are enough (the issue saw it with three: what
 * matters is that the user's session moved to a node that stayed), which keeps it at about 30 s.
 */
class ZombieWriteTest {

    private static final Map<String, String> FAST_FAILURE_DETECTION = Map.of("sg.numOwners", "2",
            "sessiongrid.failureDetectionTimeout", "3000", "sessiongrid.failureDetectionInterval", "1000",
            "sessiongrid.verifySuspectTimeout", "500", "sessiongrid.mergeMinInterval", "1000",
            "sessiongrid.mergeMaxInterval", "2000");

    @Test
    void aRequestInFlightWhenItsNodeFrozeGetsA503AndTheNewerValueStays() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (TomcatCluster cluster = TomcatCluster.start(TomcatCluster.Line.selected(), "zombie", 2,
                FAST_FAILURE_DETECTION)) {
            Node a = cluster.node("n1");
            Node b = cluster.node("n2");
            WebUser control = new WebUser("control");
            // Two users, each with a request held on n1 across the freeze. The second one's next request
            // after the rejoin goes to n1 too, where it refreshes the copy the held request still uses.
            WebUser user = new WebUser("zombie");
            WebUser shared = new WebUser("shared");
            // A third user's held request is a logout: it read the session and invalidates it when released.
            WebUser logout = new WebUser("logout");
            assertEquals(1, counter(user.get(a.url("/counter"))));
            assertEquals(1, counter(shared.get(a.url("/counter"))));
            assertEquals(1, counter(logout.get(a.url("/counter"))));

            // A second tab of each user: a request on n1 reads the session (1), sets 2 and is held there.
            Future<HttpResponse<String>> inFlight = hold(pool, user, a, "zombie");
            Future<HttpResponse<String>> inFlightShared = hold(pool, shared, a, "shared");
            Future<HttpResponse<String>> inFlightLogout = hold(pool, logout, a, "/invalidate", "logout");
            await("the requests held on n1", () -> body(control, a.url("/holding?key=zombie")).startsWith("true")
                    && body(control, a.url("/holding?key=shared")).startsWith("true")
                    && body(control, a.url("/holding?key=logout")).startsWith("true"));

            // n1 freezes; once the others expelled it, the users go on on n2 and store 2, then 3.
            a.freeze();
            await("n1 expelled", () -> !body(control, b.url("/owners?id=" + user.sessionId)).contains("n1"));
            for (WebUser u : new WebUser[] {user, shared, logout}) {
                assertEquals(2, counter(u.get(b.url("/counter"))));
                assertEquals(3, counter(u.get(b.url("/counter"))));
            }

            // n1 thaws, notices its pause and rejoins; then the held request ends and commits. (Equal topology
            // ids alone do not show the rejoin: n1, alone in its view for a moment, numbers its own.)
            a.thaw();
            await("n1 rejoined", () -> body(control, b.url("/owners?id=" + user.sessionId)).contains("n1"));
            cluster.awaitStableTopology();

            // The second user's next request lands on n1 while its held request still runs there: it reads
            // what the user stored on n2, not the held request's 2, and stores 4. So does the third user's,
            // beside a held logout that only read: refreshed in place, the shared copy would give the logout
            // the current record as its base.
            assertEquals(4, counter(shared.get(a.url("/counter"))),
                    "a request on n1 after the rejoin reads what the user stored meanwhile");
            assertEquals(4, counter(logout.get(a.url("/counter"))),
                    "a request on n1 after the rejoin, beside a held one that only read, reads what the user stored");

            body(control, a.url("/release?key=zombie"));
            body(control, a.url("/release?key=shared"));
            assertFenced(inFlight.get(60, TimeUnit.SECONDS), "the request that started before the freeze");
            assertFenced(inFlightShared.get(60, TimeUnit.SECONDS),
                    "the request that started before the freeze, its copy refreshed by a later request");
            body(control, a.url("/release?key=logout"));
            assertFenced(inFlightLogout.get(60, TimeUnit.SECONDS), "the logout that started before the freeze");
            assertEquals(3, fenced(control, a) + fenced(control, b),
                    "refused by the sessions' primaries (FencedCommits), not by n1's own pause detection");
            assertEquals(5, counter(logout.get(b.url("/counter"))),
                    "the session the late logout would have ended goes on with what the user stored since");
            assertEquals(6, counter(logout.get(a.url("/counter"))), "on either node");

            assertEquals(4, counter(user.get(b.url("/counter"))),
                    "the session keeps what was stored while n1 was frozen, and goes on from there");
            assertEquals(5, counter(user.get(a.url("/counter"))), "n1 serves the current session again");
            assertEquals(5, counter(shared.get(b.url("/counter"))), "the second user's session keeps its 4");
            assertEquals(6, counter(shared.get(a.url("/counter"))), "on either node");
        } finally {
            pool.shutdownNow();
        }
    }

    /** A second tab of {@code user}: a request on {@code n} that increments the counter and waits for /release. */
    private static Future<HttpResponse<String>> hold(ExecutorService pool, WebUser user, Node n, String key) {
        return hold(pool, user, n, "/counter", key);
    }

    /** A second tab of {@code user}: a request to {@code path} on {@code n} held until /release (see TestServlet). */
    private static Future<HttpResponse<String>> hold(ExecutorService pool, WebUser user, Node n, String path,
                                                     String key) {
        WebUser tab = new WebUser(key + "-tab");
        tab.sessionId = user.sessionId;
        return pool.submit(() -> tab.get(n.url(path + "?hold=" + key + "&holdMax=120")));
    }

    private static void assertFenced(HttpResponse<String> r, String what) {
        assertEquals(503, r.statusCode(), what + " answered " + r.statusCode() + " " + r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), what + ": 503 with Retry-After");
    }

    /** The node's FencedCommits (core's MBean): commits it refused as a session's primary. */
    private static long fenced(WebUser control, Node n) {
        Matcher m = Pattern.compile("fenced=(\\d+) ").matcher(body(control, n.url("/fenced")));
        assertTrue(m.find(), "FencedCommits of " + n.route);
        return Long.parseLong(m.group(1));
    }
}
