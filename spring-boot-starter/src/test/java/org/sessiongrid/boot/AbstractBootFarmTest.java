package org.sessiongrid.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.sessiongrid.boot.farm.BootFarm;
import org.sessiongrid.boot.farm.Browser;

/**
 * Three JVMs of the sample Boot application (Spring Security form login, a counter) with the starter on
 * the subclass's embedded container, configured by Boot properties alone, on one farm for the whole
 * class: the actuator shows the grid's
 * figures, counters lose no update whether users stick to a node or go round the nodes, and a login
 * survives the kill -9 of the node that served it (which runs last, as it takes a node away).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AbstractBootFarmTest {

    private static final Pattern COUNT = Pattern.compile("count=(\\d+)");
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\"[^>]*value=\"([^\"]+)\"");
    private static final Pattern VALUE = Pattern.compile("\"statistic\":\"VALUE\",\"value\":([0-9.Ee+-]+)");
    private static final Pattern COUNT_STAT = Pattern.compile("\"statistic\":\"COUNT\",\"value\":([0-9.Ee+-]+)");

    private static BootFarm farm;

    /** Starts the class's farm on {@code container} (from the subclass's {@code @BeforeAll}). */
    static void startFarm(BootFarm.Container container) throws Exception {
        farm = BootFarm.start(container, "boot-" + container.name().toLowerCase(java.util.Locale.ROOT), 3);
    }

    @AfterAll
    static void stopFarm() {
        if (farm != null) {
            farm.close();
            farm = null;
        }
    }

    @Test
    @Order(1)
    void actuatorShowsTheGridsFigures() throws Exception {
        Browser b = new Browser();
        for (BootFarm.Node n : farm.nodes) {
            String all = b.get(n.url("/actuator/health")).body();
            assertTrue(all.contains("\"sessiongrid\":{") && all.endsWith("\"status\":\"UP\"}"), n.name + ": " + all);
            String health = b.get(n.url("/actuator/health/sessiongrid")).body();
            assertTrue(health.contains("\"status\":\"UP\""), n.name + ": " + health);
            assertTrue(health.contains("\"members\":[") && health.contains("\"stable\":true"), n.name + ": " + health);
            assertTrue(health.contains("\"member\":\"" + n.name + "\""), n.name + ": " + health);
            assertTrue(health.contains("\"lostSegments\":0"), n.name + ": " + health);
            assertEquals(3.0, metric(b, n, "sessiongrid.members", VALUE), n.name);
            Matcher topology = Pattern.compile("\"topologyId\":(\\d+)").matcher(health);
            assertTrue(topology.find(), health);
            assertEquals(Double.parseDouble(topology.group(1)), metric(b, n, "sessiongrid.topology.id", VALUE), n.name);
            String prometheus = b.get(n.url("/actuator/prometheus")).body();
            assertTrue(prometheus.contains("sessiongrid_members{cluster=\"") && prometheus.contains("sessiongrid_commits_total{"),
                    n.name + ": the meters in Prometheus' format");
            assertFalse(n.log().contains("multiple SLF4J providers"), n.name + ": SessionGrid brings no SLF4J provider");
            String info = b.get(n.url("/actuator/info")).body();
            assertTrue(info.contains("\"numOwners\":3") && info.contains("\"member\":\"" + n.name + "\""), info);
        }
        // A session made on n1 is replicated to its two backups: n1's commit and message counters move.
        BootFarm.Node n1 = farm.nodes.get(0);
        double commits = metric(b, n1, "sessiongrid.commits", COUNT_STAT);
        double sent = metric(b, n1, "sessiongrid.messages?tag=direction:sent", COUNT_STAT);
        Browser user = new Browser();
        for (int i = 1; i <= 3; i++) {
            assertEquals(i, count(user.get(n1.url("/counter"))));
        }
        assertTrue(metric(b, n1, "sessiongrid.commits", COUNT_STAT) >= commits + 3, "commits counted");
        assertTrue(metric(b, n1, "sessiongrid.messages?tag=direction:sent", COUNT_STAT) > sent, "messages counted");
        assertTrue(metric(b, n1, "sessiongrid.replications", COUNT_STAT) >= 3, "replications counted");
    }

    @Test
    @Order(2)
    void stickyCountersLoseNoUpdate() throws Exception {
        List<Browser> users = users(6);
        for (int i = 1; i <= 20; i++) {
            for (int u = 0; u < users.size(); u++) {
                BootFarm.Node n = farm.nodes.get(u % farm.nodes.size());
                assertEquals(i, count(users.get(u).get(n.url("/counter"))), "user " + u + " on " + n.name);
            }
        }
    }

    @Test
    @Order(3)
    void roundRobinCountersLoseNoUpdate() throws Exception {
        List<Browser> users = users(6);
        for (int i = 1; i <= 20; i++) {
            for (int u = 0; u < users.size(); u++) {
                BootFarm.Node n = farm.nodes.get((u + i) % farm.nodes.size()); // another node every request
                assertEquals(i, count(users.get(u).get(n.url("/counter"))), "user " + u + " on " + n.name);
            }
        }
    }

    @Test
    @Order(4)
    void loginSurvivesTheKillOfTheNodeThatServedIt() throws Exception {
        BootFarm.Node n1 = farm.nodes.get(0);
        BootFarm.Node n2 = farm.nodes.get(1);
        Browser alice = new Browser();
        HttpResponse<String> denied = alice.get(n1.url("/me"));
        assertEquals(302, denied.statusCode(), "not logged in yet");
        String form = alice.get(n1.url("/login")).body();
        Matcher csrf = CSRF.matcher(form);
        assertTrue(csrf.find(), "login form with a CSRF token: " + form);
        String before = alice.sessionId();
        HttpResponse<String> login = alice.postForm(n1.url("/login"),
                Map.of("username", "alice", "password", "secret", "_csrf", csrf.group(1)));
        assertEquals(302, login.statusCode(), login.body());
        assertTrue(login.headers().firstValue("Location").orElse("").contains("/me"), "back to /me after login");
        assertNotEquals(before, alice.sessionId(), "session fixation protection changed the id at login");
        assertEquals("n1", alice.route(), "n1 served the login and is the session's primary");
        assertEquals("user=alice node=n1", alice.get(n1.url("/me")).body());
        assertEquals(1, count(alice.get(n1.url("/counter"))));

        n1.kill();

        HttpResponse<String> me = alice.get(n2.url("/me"));
        assertEquals(200, me.statusCode(), "still logged in on n2 after n1's kill -9: " + me.headers().map());
        assertEquals("user=alice node=n2", me.body());
        assertEquals(2, count(alice.get(n2.url("/counter"))));
        farm.awaitSettled(2, 60);
        assertEquals(3, count(alice.get(farm.nodes.get(2).url("/counter"))));
        assertEquals("user=alice node=n3", alice.get(farm.nodes.get(2).url("/me")).body());
    }

    private static List<Browser> users(int n) {
        List<Browser> users = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            users.add(new Browser());
        }
        return users;
    }

    private static int count(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Length").isPresent(), "answered with a Content-Length");
        Matcher m = COUNT.matcher(r.body());
        assertTrue(m.find(), r.body());
        return Integer.parseInt(m.group(1));
    }

    private static double metric(Browser b, BootFarm.Node n, String nameAndQuery, Pattern statistic) throws Exception {
        HttpResponse<String> r = b.get(n.url("/actuator/metrics/" + nameAndQuery));
        assertEquals(200, r.statusCode(), nameAndQuery + " on " + n.name + ": " + r.body());
        Matcher m = statistic.matcher(r.body());
        assertTrue(m.find(), r.body());
        return Double.parseDouble(m.group(1));
    }
}
