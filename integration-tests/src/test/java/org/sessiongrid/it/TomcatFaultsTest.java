package org.sessiongrid.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;
import org.sessiongrid.it.check.Checker;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.it.rig.Farm;

/**
 * The short matrix on 5 Tomcat 11 nodes (each its own JVM in its own network namespace): fault 1 (kill -9
 * of one node, then of two at the same instant), fault 2 (SIGSTOP past the failure detection timeout,
 * then SIGCONT) and fault 3 (partition 2|3, both partition policies); the tests tagged {@code full} (the
 * second policy and a short rolling restart) run only with {@code -Pfault-matrix}. Every test ends with the checker
 * passing over everything the load client saw.
 */
@Tag("short")
class TomcatFaultsTest {

    static final Duration SETTLE = Duration.ofSeconds(90);

    /** How long fault 2 keeps its member stopped: issue 17 states its bound for a 20 s SIGSTOP. */
    static final Duration STOP = Duration.ofSeconds(20);

    @BeforeAll
    static void rigAllowed() {
        Assumptions.assumeFalse(Boolean.getBoolean("faults.skip"), "fault tests skipped (-Dfaults.skip=true)");
    }

    /**
     * Crashes within what three owners survive: one member, and after the rebalance two at the same instant,
     * the coordinator one of them, so its role moves while the farm serves.
     */
    @Test
    void killOneNodeThenTwoAtTheSameInstant() throws Exception {
        try (FaultRun run = FaultRun.start("fault 1: kill -9 one of 5, then two at once", Farm.Kind.TOMCAT, 5, Map.of(),
                LoadClient.Mode.STICKY, LoadClient.Settings.defaults())) {
            killOneThenTwoWithTheCoordinator(run);
            run.finish(new Checker());
        }
    }

    /**
     * Fault 1's steps under load: kill -9 one member that is not the coordinator, wait for the farm to
     * settle, then kill the coordinator and another member at the same instant. The run's checker follows.
     */
    static void killOneThenTwoWithTheCoordinator(FaultRun run) throws Exception {
        run.load.start();
        run.awaitProgress(1500, SETTLE);
        // A member that is not the coordinator first; the coordinator goes in the double kill below.
        List<Farm.Node> victims = run.farm.alive().stream().filter(n -> n != run.farm.coordinator()).toList();
        Farm.Node first = victims.get(0);
        long killed = run.history.now();
        run.history.mark("kill -9 " + first.name);
        first.kill();
        run.farm.awaitMembers(run.farm.alive(), SETTLE);
        run.history.mark(first.name + " gone, rebalanced");
        run.reportStalls("kill of " + first.name, List.of(first.name), killed, run.history.now());
        run.awaitProgress(1500, SETTLE);
        Farm.Node a = run.farm.coordinator();
        Farm.Node b = run.farm.alive().stream().filter(n -> n != a).findFirst().orElseThrow();
        long killedTwo = run.history.now();
        run.history.mark("kill -9 " + a.name + " and " + b.name);
        // Both SIGKILLs before waiting for either: the same instant as far as the cluster can tell.
        a.sigkill();
        b.sigkill();
        a.kill();
        b.kill();
        run.farm.awaitMembers(run.farm.alive(), SETTLE);
        run.history.mark(a.name + ", " + b.name + " gone, rebalanced");
        run.reportStalls("kill of " + a.name + " and " + b.name, List.of(a.name, b.name), killedTwo,
                run.history.now());
        run.awaitProgress(1500, SETTLE);
    }

    /**
     * A member stopped past failure detection is expelled; when it resumes it must not serve its stale copies
     * (it detects the pause, refuses with 503 and rejoins) and must not write an old counter over the grid's.
     * Over the whole stop (20 s), the requests the other members serve have a p99 of at most 1 s (issue 17): the
     * members waiting for it suspect it after backupTimeout and JGroups excludes it after verifySuspectTimeout.
     * The window from the SIGSTOP to the expulsion, whose requests are mostly the stalled ones, is reported
     * beside it: its p99 is the stall itself.
     */
    @Test
    void stopOneNodePastFailureDetectionThenContinue() throws Exception {
        try (FaultRun run = FaultRun.start("fault 2: SIGSTOP one of 5 past failure detection, then SIGCONT",
                Farm.Kind.TOMCAT, 5, FaultRun.SILENCE_WITHIN_A_SECOND, LoadClient.Mode.STICKY,
                LoadClient.Settings.defaults())) {
            run.load.start();
            run.awaitProgress(1500, SETTLE);
            Farm.Node coordinator = run.farm.coordinator();
            Farm.Node victim = run.farm.alive().stream().filter(n -> n != coordinator).findFirst().orElseThrow();
            List<Farm.Node> others = run.farm.alive().stream().filter(n -> n != victim).toList();
            long stopped = run.history.now();
            run.history.mark("SIGSTOP " + victim.name);
            victim.pause();
            // Frozen longer than failureDetectionTimeout: the others expel it (and rebalance without it).
            run.farm.awaitMembers(others, SETTLE);
            run.history.mark(victim.name + " expelled");
            run.reportStalls("SIGSTOP of " + victim.name + " until its expulsion", List.of(victim.name), stopped,
                    run.history.now());
            run.awaitProgress(1000, SETTLE);
            // The stop lasts the 20 s: the others serve on without it for the rest of it.
            Thread.sleep(Math.max(0, stopped + STOP.toMillis() - run.history.now()));
            run.history.mark("SIGCONT " + victim.name);
            long resumed = run.history.now();
            run.boundStalls("SIGSTOP of " + victim.name + " (the whole stop)", List.of(victim.name), stopped, resumed);
            victim.resume();
            // It comes back with its stale copies and must rejoin (MERGE3) before it serves anything stale.
            run.farm.awaitMembers(run.farm.alive(), Duration.ofSeconds(150));
            run.history.mark(victim.name + " rejoined");
            run.awaitProgress(2000, SETTLE);
            long servedAfter = run.okOn(List.of(victim.name), resumed, run.history.now());
            run.history.fact("requests served by " + victim.name + " after SIGCONT", servedAfter);
            // The point of the fault: the resumed node served users again, and the checker below finds
            // no counter that stepped back.
            assertTrue(servedAfter > 0, victim.name + " served no request after SIGCONT: the fault proved nothing");
            run.finish(new Checker());
        }
    }

    /**
     * The short rolling restart: 3 nodes, each stopped gracefully (SIGTERM: it hands its share over) and
     * started again under load, the next one only once the farm has settled. The full matrix restarts 5 as
     * well; this one runs only there (the default build's budget), and tomcat-manager's RollingRestartTest
     * restarts 3 in-process Tomcats in the default build.
     */
    @Test
    @Tag("full")
    void rollingRestartOfThreeNodes() throws Exception {
        try (FaultRun run = FaultRun.start("fault 4 (short): rolling restart of 3 nodes", Farm.Kind.TOMCAT, 3, Map.of(),
                LoadClient.Mode.STICKY, LoadClient.Settings.defaults())) {
            run.load.start();
            run.awaitProgress(1000, SETTLE);
            for (Farm.Node n : List.copyOf(run.farm.nodes())) {
                long stopped = run.history.now();
                run.history.mark("stop " + n.name + " (SIGTERM), start again");
                n.stop();
                n.restart();
                run.farm.awaitMembers(run.farm.alive(), SETTLE);
                run.history.mark(n.name + " back, rebalanced");
                run.reportStalls("restart of " + n.name, List.of(n.name), stopped, run.history.now());
                run.awaitProgress(500, SETTLE);
            }
            run.finish(new Checker());
        }
    }

    static long holdSeconds() {
        return Long.getLong("faults.partitionHoldSeconds", 10);
    }

    /** Both sides serve during the split (the default policy); after the merge every session converges. */
    @Test
    void partitionTwoAgainstThreeBothSidesServe() throws Exception {
        partition("fault 3: partition 2|3, both sides serve (serve-both-sides)", "serve-both-sides");
    }

    /**
     * The minority answers errors during the split, never data the merge may discard. Only in the full matrix
     * (the default build's budget): the default build splits the farm under the default policy above.
     */
    @Test
    @Tag("full")
    void partitionTwoAgainstThreeMinorityRefusesWrites() throws Exception {
        partition("fault 3: partition 2|3, minority refuses writes", "minority-refuses-writes");
    }

    private void partition(String title, String policy) throws Exception {
        // The shipped failure-detection timeout (10 s), not the rig's 3 s: right after a merge the merged view
        // and the first heartbeats between the sides can lag seconds, and 3 s expelled a live member after the
        // merge (views flapped for minutes after a 30 s split; see also NetRig's retransmission cap). The majority
        // excludes the other side after backupTimeout + verifySuspectTimeout (300 + 400) and is held to issue 17's
        // bound over the split.
        Map<String, String> settings = new java.util.HashMap<>(FaultRun.SILENCE_WITHIN_A_SECOND);
        settings.put("partitionPolicy", policy);
        settings.put("failureDetectionTimeout", "10000");
        try (FaultRun run = FaultRun.start(title, Farm.Kind.TOMCAT, 5, settings, LoadClient.Mode.STICKY,
                LoadClient.Settings.defaults())) {
            List<Farm.Node> minority = List.of(run.farm.node("n1"), run.farm.node("n2"));
            List<Farm.Node> majority = List.of(run.farm.node("n3"), run.farm.node("n4"), run.farm.node("n5"));
            List<String> minorityNames = List.of("n1", "n2");
            List<String> majorityNames = List.of("n3", "n4", "n5");
            run.load.start();
            run.awaitProgress(1500, SETTLE);
            long cut = run.history.now();
            run.history.mark("partition n1,n2 | n3,n4,n5");
            long installed = run.rig.partition(List.of(1, 2), List.of(3, 4, 5));
            run.history.fact("the cut's rules installed in", installed + " ms");
            run.farm.awaitMembers(minority, SETTLE);
            run.farm.awaitMembers(majority, SETTLE);
            long split = run.history.now();
            run.history.mark("both sides see the split");
            // The fault's duration, not a wait for something: the split is held this long by definition
            // (30 s in the full matrix, shorter in the default build; -Dfaults.partitionHoldSeconds).
            Thread.sleep(holdSeconds() * 1000);
            long heal = run.history.now();
            run.history.mark("heal");
            run.rig.heal();
            run.farm.awaitMembers(run.farm.alive(), Duration.ofSeconds(150));
            long merged = run.history.now();
            run.history.mark("merged");
            run.boundStalls("partition", minorityNames, cut, heal);
            long minorityOk = run.okOn(minorityNames, split, heal);
            long majorityOk = run.okOn(majorityNames, split, heal);
            long minorityIncsOk = run.history.ops().stream().filter(o -> o.ok() && o.kind() == org.sessiongrid.it.load.Op.Kind.INC
                    && minorityNames.contains(o.node()) && o.start() >= split && o.end() <= heal).count();
            long minorityErrors = run.history.ops().stream().filter(o -> !o.ok() && minorityNames.contains(o.node())
                    && o.start() >= split && o.end() <= heal).count();
            run.history.fact("split held", holdSeconds() + " s");
            run.history.fact("served during the split: minority / majority", minorityOk + " / " + majorityOk);
            run.history.fact("errors on the minority during the split", minorityErrors);
            assertTrue(majorityOk > 0, "the majority side served nothing during the split");
            if (policy.equals("serve-both-sides")) {
                assertTrue(minorityOk > 0, "the minority side served nothing during the split (policy " + policy + ")");
            } else {
                // Errors, not data that the merge may discard.
                assertTrue(minorityIncsOk == 0, minorityIncsOk + " increments acknowledged by the minority during the split");
                assertTrue(minorityErrors > 0, "the minority side answered no errors during the split");
            }
            run.awaitProgress(1500, SETTLE);
            Checker checker = new Checker();
            if (policy.equals("serve-both-sides")) {
                // Each side expires on its own during the split (SessionListener documents it).
                checker.bothSidesServed(java.util.Set.copyOf(minorityNames), java.util.Set.copyOf(majorityNames), cut,
                        merged);
            }
            run.ownerSetsMayBeLost("a partition: each side has segments whose every owner is on the other side");
            run.finish(checker);
        }
    }
}
