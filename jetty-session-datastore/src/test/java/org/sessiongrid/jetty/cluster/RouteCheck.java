package org.sessiongrid.jetty.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The route a session id carries (the worker name after its dot) must name the session's current
 * primary: whichever node a request with another route reaches, the answer sets the cookie again with
 * the corrected id, and the page already sees that id.
 */
final class RouteCheck {

    private RouteCheck() {
    }

    static String idOf(String cookie) {
        return cookie.substring(0, cookie.lastIndexOf('.'));
    }

    /** The live member every live node takes for the session's primary, once they all agree on it. */
    static String primaryOf(Farm farm, String id) throws InterruptedException {
        String[] agreed = new String[1];
        Farm.awaitTrue("the live nodes to agree on the primary of " + id, Duration.ofSeconds(30), () -> {
            List<String> seen = new ArrayList<>();
            List<String> live = new ArrayList<>();
            for (int n = 0; n < farm.nodes().size(); n++) {
                if (farm.node(n).process().isAlive()) {
                    live.add(farm.node(n).name());
                    try {
                        seen.add(farm.get(n, "/diag/owner?path=/app&id=" + id, new Farm.Client()));
                    } catch (Exception e) {
                        return false;
                    }
                }
            }
            agreed[0] = seen.get(0);
            return live.contains(agreed[0]) && seen.stream().allMatch(agreed[0]::equals);
        });
        return agreed[0];
    }

    /**
     * On every live node, {@code rounds} times: a request whose cookie routes to each member other
     * than the primary (dead ones included) gets the cookie with the primary's route, and the page
     * shows that id; a request already routed to the primary gets no new cookie.
     */
    static void everyNodeCorrectsTheRoute(Farm farm, String id, String primary, int rounds) throws Exception {
        String expected = id + "." + primary;
        for (int round = 0; round < rounds; round++) {
            for (int n = 0; n < farm.nodes().size(); n++) {
                if (!farm.node(n).process().isAlive()) {
                    continue;
                }
                for (Farm.Node wrong : farm.nodes()) {
                    if (wrong.name().equals(primary)) {
                        continue;
                    }
                    Farm.Client c = new Farm.Client();
                    c.cookie = id + "." + wrong.name();
                    HttpResponse<String> r = farm.send(n, "/app/whoami", c);
                    String where = "round " + round + ", node " + farm.node(n).name() + ", cookie routed to "
                            + wrong.name();
                    assertEquals(200, r.statusCode(), where);
                    assertEquals(expected, Farm.sessionCookie(r).orElse(null), where + ": Set-Cookie");
                    assertEquals(expected, r.body(), where + ": the id the page sees");
                }
                Farm.Client right = new Farm.Client();
                right.cookie = expected;
                HttpResponse<String> r = farm.send(n, "/app/whoami", right);
                assertEquals(expected, r.body());
                assertEquals(null, Farm.sessionCookie(r).orElse(null), "a cookie routed to the primary is kept");
            }
        }
    }
}
