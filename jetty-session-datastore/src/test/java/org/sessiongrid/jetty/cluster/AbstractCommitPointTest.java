package org.sessiongrid.jetty.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The commit point and the route on three servers of one EE in separate JVMs: a request's session
 * change is in the grid before any byte of its response leaves, however the response gets committed
 * ({@link Answers}), so round-robin users never read an older counter and never lose an increment; a
 * change after the commit is saved at the end and counted; and the route in the session cookie
 * follows the session's primary on every node, every time, also after the primary died. A FORM login
 * on one node holds on the others, and the pre-login id is dead everywhere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AbstractCommitPointTest {

    static final int NODES = 3;
    private final String ee;
    Farm farm;

    AbstractCommitPointTest(String ee) {
        this.ee = ee;
    }

    @BeforeAll
    void startFarm() throws Exception {
        farm = new Farm(ee).start(NODES, 60, 60, null);
    }

    @AfterAll
    void stopFarm() {
        if (farm != null) {
            farm.close();
        }
    }

    /** Every cache a farm may use: the coherent one, Jetty's non-sticky recipe, and no cache. */
    @ParameterizedTest
    @ValueSource(strings = {"/app", "/evict", "/null"})
    @Order(1)
    void roundRobinUsersSeeEveryIncrementWhateverWayTheResponseIsCommitted(String context) throws Exception {
        RoundRobinCheck.Result r = RoundRobinCheck.run(farm, context, 6, 2);
        assertTrue(r.staleReads().isEmpty() && r.lostUpdates().isEmpty(), r.summary());
        assertEquals(6 * 2 * Answers.STYLES.length, r.requests());
    }

    /**
     * A change made after the response was committed (the {@code late} style sets an attribute
     * after its Content-Length answer) is still saved, when the request ends: counted in the member's
     * LateCommits and logged at DEBUG; another node then reads it.
     */
    @Test
    @Order(2)
    void aChangeAfterTheResponseWasCommittedIsSavedAtTheEndCountedAndLogged() throws Exception {
        long before = lateCommits(0);
        Farm.Client user = new Farm.Client();
        assertEquals("1", farm.get(0, "/app/inc?out=late", user));
        Farm.awaitTrue(farm.node(0).name() + " to count the late change", Duration.ofSeconds(10),
                () -> lateCommits(0) > before);
        assertEquals(before + 1, lateCommits(0));
        assertEquals("1", farm.get(1, "/app/late", user), "the late change must be saved");
        String id = RouteCheck.idOf(user.cookie);
        Farm.awaitTrue("the DEBUG line of the late change", Duration.ofSeconds(10), () -> {
            try {
                return Files.readString(farm.node(0).log()).lines().anyMatch(l -> l.contains("DEBUG")
                        && l.contains("Session " + id) && l.contains("changed after its response was committed"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        // The other ways of answering change nothing after their commit: nothing counted for them.
        long after = lateCommits(0);
        assertEquals("2", farm.get(0, "/app/inc?out=cl", user));
        assertEquals("2", farm.get(1, "/app/get", user));
        assertEquals(after, lateCommits(0));
    }

    private long lateCommits(int node) {
        try {
            return Long.parseLong(farm.get(node, "/diag/late", new Farm.Client()));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A new session's id routes to the node that made it, its primary (ids are picked so); a request
     * whose cookie routes elsewhere is corrected on every node, every time, and the page sees the
     * corrected id.
     */
    @Test
    @Order(3)
    void everyNodeCorrectsARouteNamingANonPrimaryEveryTime() throws Exception {
        Farm.Client user = new Farm.Client();
        assertEquals("1", farm.get(0, "/app/inc", user));
        String id = RouteCheck.idOf(user.cookie);
        String primary = RouteCheck.primaryOf(farm, id);
        assertEquals(farm.node(0).name(), primary, "a new session's primary is the node that made it");
        assertEquals(id + "." + primary, user.cookie);
        RouteCheck.everyNodeCorrectsTheRoute(farm, id, primary, 3);
        assertEquals("1", farm.get(2, "/app/get", user));
    }

    /**
     * FORM login on one node holds on the others: Jetty's FormAuthenticator rotates the session id at
     * {@code j_security_check} and keeps the authentication in the session, and the very next request,
     * on another node, finds the user there. The pre-login id (session fixation) has no session on any
     * node. The Jetty counterpart of Tomcat's {@code formLoginOnOneNodeIsAuthenticatedOnAnother}.
     */
    @Test
    @Order(4)
    void formLoginOnOneNodeIsAuthenticatedOnTheOthers() throws Exception {
        Farm.Client user = new Farm.Client();
        HttpResponse<String> r = farm.send(0, "/secure/user", user);
        assertEquals(302, r.statusCode(), "a protected page sends to the login page: " + r.body());
        assertTrue(locationPath(r).endsWith("/secure/login"), r.headers().toString());
        String before = user.cookie;
        assertNotNull(before, "the redirect to the login page starts a session (it keeps the page asked for)");
        assertEquals("login-page session=yes", farm.get(0, "/secure/login", user));

        r = farm.post(0, "/secure/j_security_check", "j_username=alice&j_password=secret", user);
        assertTrue(r.statusCode() == 302 || r.statusCode() == 303, "redirect after login, got " + r.statusCode());
        assertTrue(locationPath(r).endsWith("/secure/user"), r.headers().toString());
        assertNotEquals(RouteCheck.idOf(before), RouteCheck.idOf(user.cookie), "the session id rotates at login");

        // Round-robin: the redirect's target goes to the next node, right after the login's answer.
        for (int n = 1; n < NODES; n++) {
            r = farm.send(n, "/secure/user", user);
            assertEquals(200, r.statusCode(), "authenticated on " + farm.node(n).name() + ": " + r.body());
            assertEquals("user=alice", r.body());
        }

        for (int n = 0; n < NODES; n++) {
            // A fresh client each time: a protected page makes the fixation client a new session of its own.
            Farm.Client fixation = new Farm.Client();
            fixation.cookie = before;
            assertEquals("login-page session=none", farm.get(n, "/secure/login", fixation),
                    "the pre-login id is dead on " + farm.node(n).name());
            r = farm.send(n, "/secure/user", fixation);
            assertEquals(302, r.statusCode(), "the pre-login id is not authenticated on " + farm.node(n).name()
                    + ": " + r.body());
        }
    }

    /** A redirect's target without the {@code ;jsessionid=} Jetty adds to it while the session is new. */
    private static String locationPath(HttpResponse<String> r) {
        return r.headers().firstValue("Location").orElse("").split(";")[0];
    }

    /** After the primary's node dies, every live node routes the session to its new primary. */
    @Test
    @Order(5)
    void afterThePrimaryDiesEveryNodeRoutesToTheNewPrimary() throws Exception {
        Farm.Client user = new Farm.Client();
        assertEquals("1", farm.get(1, "/app/inc", user));
        String id = RouteCheck.idOf(user.cookie);
        assertEquals(farm.node(1).name(), RouteCheck.primaryOf(farm, id));
        farm.crash(1);
        String primary = RouteCheck.primaryOf(farm, id);
        RouteCheck.everyNodeCorrectsTheRoute(farm, id, primary, 3);
        assertEquals("2", farm.get(0, "/app/inc", user));
        assertEquals(id + "." + primary, user.cookie);
    }

    /**
     * The dead node rejoins and takes its share again: a session it is primary of once more has its
     * cookie, still naming the member that served it meanwhile, corrected on every node.
     */
    @Test
    @Order(6)
    void afterARejoinEveryNodeRoutesToTheRejoinedPrimary() throws Exception {
        java.util.List<Farm.Client> users = new java.util.ArrayList<>();
        for (int u = 0; u < 16; u++) {
            Farm.Client c = new Farm.Client();
            assertEquals("1", farm.get(u % 2 == 0 ? 0 : 2, "/app/inc", c));
            users.add(c);
        }
        farm.restart(1);
        String rejoined = farm.node(1).name();
        Farm.Client moved = null;
        for (Farm.Client c : users) {
            if (RouteCheck.primaryOf(farm, RouteCheck.idOf(c.cookie)).equals(rejoined)) {
                moved = c;
                break;
            }
        }
        org.junit.jupiter.api.Assertions.assertNotNull(moved, "the rejoined node is primary of none of 16 sessions");
        String id = RouteCheck.idOf(moved.cookie);
        RouteCheck.everyNodeCorrectsTheRoute(farm, id, rejoined, 3);
        assertEquals("1", farm.get(1, "/app/get", moved));
        assertEquals(id + "." + rejoined, moved.cookie);
    }
}
