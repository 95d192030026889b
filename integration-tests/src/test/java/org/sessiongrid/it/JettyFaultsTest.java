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
import org.sessiongrid.it.rig.Farm;

/**
 * Fault 1 on 3 Jetty 12 (ee11) nodes, round-robin (every request may land on a node that is not the
 * session's primary: the remote-primary path and SessionGridSessionCache's revalidation): kill -9 one node,
 * restart it, then kill -9 two at the same instant, leaving one node with every session.
 */
@Tag("short")
class JettyFaultsTest {

    static final Duration SETTLE = Duration.ofSeconds(90);

    @BeforeAll
    static void rigAllowed() {
        Assumptions.assumeFalse(Boolean.getBoolean("faults.skip"), "fault tests skipped (-Dfaults.skip=true)");
    }

    @Test
    void killOneNodeThenTwoAtTheSameInstant() throws Exception {
        try (FaultRun run = FaultRun.start("fault 1: kill -9 one of 3, restart, then two at once", Farm.Kind.JETTY, 3,
                Map.of(), LoadClient.Mode.ROUND_ROBIN, LoadClient.Settings.defaults().withUsers(60, 8))) {
            run.load.start();
            run.awaitProgress(1000, SETTLE);
            Farm.Node coordinator = run.farm.coordinator();
            Farm.Node victim = run.farm.alive().stream().filter(n -> n != coordinator).findFirst().orElseThrow();
            run.history.mark("kill -9 " + victim.name);
            victim.kill();
            run.farm.awaitMembers(run.farm.alive(), SETTLE);
            run.history.mark(victim.name + " gone, rebalanced");
            run.awaitProgress(1000, SETTLE);
            run.history.mark("restart " + victim.name);
            victim.restart();
            run.farm.awaitMembers(run.farm.alive(), SETTLE);
            run.history.mark(victim.name + " rejoined");
            run.awaitProgress(1000, SETTLE);
            Farm.Node coord = run.farm.coordinator();
            List<Farm.Node> two = run.farm.alive().stream().filter(n -> n != coord).toList();
            run.history.mark("kill -9 " + two.get(0).name + " and " + two.get(1).name);
            two.forEach(Farm.Node::sigkill);
            for (Farm.Node n : two) {
                n.kill();
            }
            run.farm.awaitMembers(run.farm.alive(), SETTLE);
            run.history.mark("one node left");
            run.awaitProgress(1000, SETTLE);
            run.finish(new Checker());
        }
    }
}
