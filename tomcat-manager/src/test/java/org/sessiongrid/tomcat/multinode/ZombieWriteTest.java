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
 * the freeze over what the user stored on another node meanwhile. Its client gets a 503 and the session
 * keeps the newer value. Failure detection and merges are shortened (3 s, 1-2 s) so that the freeze, the
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
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (TomcatCluster cluster = TomcatCluster.start(TomcatCluster.Line.selected(), "zombie", 2,
                FAST_FAILURE_DETECTION)) {
            Node a = cluster.node("n1");
            Node b = cluster.node("n2");
            WebUser user = new WebUser("zombie");
            WebUser control = new WebUser("control");
            assertEquals(1, counter(user.get(a.url("/counter"))));

            // A second tab of the user: a request on n1 reads the session (1), sets 2 and is held there.
            WebUser tab = new WebUser("zombie-tab");
            tab.sessionId = user.sessionId;
            Future<HttpResponse<String>> inFlight = pool.submit(() -> tab.get(a.url("/counter?hold=zombie&holdMax=120")));
            await("the request held on n1", () -> body(control, a.url("/holding?key=zombie")).startsWith("true"));

            // n1 freezes; once the others expelled it, the user goes on on n2 and stores 2, then 3.
            a.freeze();
            await("n1 expelled", () -> !body(control, b.url("/owners?id=" + user.sessionId)).contains("n1"));
            assertEquals(2, counter(user.get(b.url("/counter"))));
            assertEquals(3, counter(user.get(b.url("/counter"))));

            // n1 thaws, notices its pause and rejoins; then the held request ends and commits. (Equal topology
            // ids alone do not show the rejoin: n1, alone in its view for a moment, numbers its own.)
            a.thaw();
            await("n1 rejoined", () -> body(control, b.url("/owners?id=" + user.sessionId)).contains("n1"));
            cluster.awaitStableTopology();
            body(control, a.url("/release?key=zombie"));
            HttpResponse<String> zombie = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(503, zombie.statusCode(), "the request that started before the freeze answered "
                    + zombie.statusCode() + " " + zombie.body());
            assertTrue(zombie.headers().firstValue("Retry-After").isPresent(), "503 with Retry-After");
            assertEquals(1, fenced(control, a) + fenced(control, b),
                    "refused by the session's primary (FencedCommits), not by n1's own pause detection");

            assertEquals(4, counter(user.get(b.url("/counter"))),
                    "the session keeps what was stored while n1 was frozen, and goes on from there");
            assertEquals(5, counter(user.get(a.url("/counter"))), "n1 serves the current session again");
        } finally {
            pool.shutdownNow();
        }
    }

    /** The node's FencedCommits (core's MBean): commits it refused as a session's primary. */
    private static long fenced(WebUser control, Node n) {
        Matcher m = Pattern.compile("fenced=(\\d+) ").matcher(body(control, n.url("/fenced")));
        assertTrue(m.find(), "FencedCommits of " + n.route);
        return Long.parseLong(m.group(1));
    }
}
