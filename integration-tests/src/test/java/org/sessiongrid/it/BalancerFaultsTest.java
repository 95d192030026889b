package org.sessiongrid.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sessiongrid.it.check.Checker;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.it.rig.Balancer;
import org.sessiongrid.it.rig.Farm;

/**
 * Issue 17's crash as users see it: kill -9 of one node of 3 under sticky load, on Tomcat and on Jetty, once
 * through the test client (which balances by itself: it takes a node out after a failed request) and once
 * through HAProxy (a real balancer: sticky by the route on the session id, redispatch, health checks; see
 * {@link Balancer}). Each reports how long the killed node's users waited until another node served them, the
 * longest stall of any user and the p99 on the other nodes; the checker passes over everything. The wait is held
 * to issue 17's bound (item 5: served again within 200 ms at p99), the unaffected nodes' p99 is reported.
 */
@Tag("full")
class BalancerFaultsTest {

    static final Duration SETTLE = Duration.ofSeconds(90);
    static final Duration FAULT_WINDOW = Duration.ofSeconds(2);

    @BeforeAll
    static void rigAllowed() {
        Assumptions.assumeFalse(Boolean.getBoolean("faults.skip"), "fault tests skipped (-Dfaults.skip=true)");
    }

    @Test
    void killOneOfThreeTomcatNodesThroughTheTestClient() throws Exception {
        killOneOfThree(Farm.Kind.TOMCAT, LoadClient.Mode.STICKY);
    }

    @Test
    void killOneOfThreeTomcatNodesThroughHaproxy() throws Exception {
        requireHaproxy();
        killOneOfThree(Farm.Kind.TOMCAT, LoadClient.Mode.BALANCER);
    }

    @Test
    void killOneOfThreeJettyNodesThroughTheTestClient() throws Exception {
        killOneOfThree(Farm.Kind.JETTY, LoadClient.Mode.STICKY);
    }

    @Test
    void killOneOfThreeJettyNodesThroughHaproxy() throws Exception {
        requireHaproxy();
        killOneOfThree(Farm.Kind.JETTY, LoadClient.Mode.BALANCER);
    }

    private static void requireHaproxy() {
        Assumptions.assumeTrue(Balancer.version() != null,
                "haproxy is not installed (Debian: apt-get install -y haproxy); the balancer faults need it");
    }

    private static void killOneOfThree(Farm.Kind kind, LoadClient.Mode mode) throws Exception {
        String through = mode == LoadClient.Mode.BALANCER ? "through haproxy" : "through the test client";
        try (FaultRun run = FaultRun.start("fault 1b: kill -9 one of 3, sticky " + through, kind, 3, Map.of(), mode,
                LoadClient.Settings.defaults().withUsers(60, 8))) {
            if (run.balancer != null) {
                run.history.fact("balancer", Balancer.version());
            }
            run.load.start();
            run.awaitProgress(1500, SETTLE);
            Farm.Node coordinator = run.farm.coordinator();
            Farm.Node victim = run.farm.alive().stream().filter(n -> n != coordinator).findFirst().orElseThrow();
            long killed = run.history.now();
            run.history.mark("kill -9 " + victim.name);
            victim.kill();
            run.farm.awaitMembers(run.farm.alive(), SETTLE);
            run.history.mark(victim.name + " gone, rebalanced");
            long settled = run.history.now();
            run.awaitProgress(1500, SETTLE);
            // Reported once the requests of the fault window have completed (the history holds completed
            // requests only), over at least FAULT_WINDOW: the view and topology often settle within a few
            // hundred milliseconds, too few requests for a p99.
            run.reportStalls("kill of " + victim.name, List.of(victim.name), killed,
                    Math.max(settled, killed + FAULT_WINDOW.toMillis()));
            run.boundServedAgain("kill of " + victim.name, victim.name, killed);
            run.finish(new Checker());
        }
    }
}
