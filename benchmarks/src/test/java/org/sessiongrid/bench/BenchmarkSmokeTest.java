package org.sessiongrid.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.contender.RedisServer;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.report.BenchReport;
import org.sessiongrid.bench.run.BenchSettings;
import org.sessiongrid.bench.run.Benchmark;
import org.sessiongrid.bench.run.ContenderResult;
import org.sessiongrid.bench.run.Scenario;
import org.sessiongrid.bench.scale.ScaleFigures;

/**
 * The default build's run of the benchmark: every contender of {@link BenchSettings#smoke()} (all but Hazelcast's)
 * and the SessionGrid-only parts (but the rebalance, see {@link BenchSettings#defaultParts()}) for a second or two, so that the benchmark cannot rot. Asserts that everything ran and was reported, and that SessionGrid's
 * correctness counts are zero; never a timing.
 */
class BenchmarkSmokeTest {

    @Test
    void everyContenderRunsAndIsReported() throws Exception {
        Path report = Path.of(System.getProperty("bench.report", "target/report.md"));
        Benchmark.Outcome o = new Benchmark(BenchSettings.smoke(), Path.of(System.getProperty("bench.work",
                "target/bench-work"))).run();
        String md = BenchReport.write(o, report);

        // .ci/run installs redis-server: a machine without it does not silently skip a contender.
        assertNotNull(RedisServer.binary(), "redis-server is not installed, so Redisson cannot run"
                + " (apt-get install redis-server, or bash .ci/run, which installs it)");
        for (ContenderResult r : o.contenders()) {
            if (!BenchSettings.smoke().contenders().contains(r.contender())) {
                continue;
            }
            assertNull(r.notRun(), r.contender() + " did not run: " + r.notRun());
            assertTrue(r.problems().isEmpty(), r.contender() + ": " + r.problems());
            for (Scenario s : r.contender().isSessionGrid() ? BenchSettings.smoke().scenarios()
                    : BenchSettings.smoke().everyContenderScenarios()) {
                LoadFigures f = r.scenarios().get(s);
                assertNotNull(f, r.contender() + " " + s.id());
                // Served at all, warm-up included: how many fall into the short window depends on the machine.
                assertTrue(f.served() > 0, r.contender() + " " + s.id() + " served no request");
            }
            assertTrue(md.contains("| " + r.contender().label() + " | "), "no row for " + r.contender());
        }
        for (Contender c : new Contender[] {Contender.SESSIONGRID_TOMCAT, Contender.SESSIONGRID_JETTY}) {
            for (var e : BenchReport.figures(o.contenders(), c).entrySet()) {
                LoadFigures f = e.getValue();
                assertEquals(0, f.staleReads(), c + " " + e.getKey().id() + " stale reads");
                assertEquals(0, f.lostUpdates(), c + " " + e.getKey().id() + " lost updates");
                assertEquals(0, f.lostSessions(), c + " " + e.getKey().id() + " lost sessions");
                assertEquals(0, f.violations(), c + " " + e.getKey().id() + " violations");
                assertTrue(f.farmCpuMicrosPerRequest() > 0 && f.clientCpuMicrosPerRequest() > 0,
                        c + " " + e.getKey().id() + ": farm and client CPU per request not measured: " + f);
            }
        }
        ContenderResult standard = o.contenders().stream().filter(r -> r.contender() == Contender.STANDARD)
                .findFirst().orElseThrow();
        assertNotNull(standard.clientCeiling(), "the bare loop against StandardManager did not run: " + standard.problems());
        assertTrue(standard.clientCeiling().bareThroughput() > 0, "the bare loop got no answer: " + standard.clientCeiling());
        assertTrue(md.contains("| (issue 16) the load client is not the bottleneck"), "no row for the client's share");
        ContenderResult sg = o.contenders().stream().filter(r -> r.contender() == Contender.SESSIONGRID_TOMCAT)
                .findFirst().orElseThrow();
        assertNotNull(sg.failover(), "SessionGrid failover");
        assertEquals(0, sg.failover().lostSessions(), "SessionGrid sessions lost in the failover");
        assertEquals(0, sg.failover().violations(), "SessionGrid failover violations");
        assertTrue(sg.failover().recoveryMillis() >= 0,
                "after the kill, some affected users were never served again: " + sg.failover());
        assertTrue(sg.failover().affectedUsers() > 0, "the kill affected no user, so the failover proves nothing");
        assertNotNull(sg.memory(), "SessionGrid memory");
        if (BenchSettings.smoke().defaultParts().contains("rebalance")) {
            assertNotNull(o.rebalance(), "rebalance: " + o.rebalanceProblem());
            assertTrue(o.rebalance().recordsMoved() > 0, "the joining node received no record");
        }
        assertNull(o.scaleProblem(), o.scaleProblem());
        assertEquals(BenchSettings.smoke().scaleSizes().size(), o.scale().size());
        for (ScaleFigures f : o.scale()) {
            assertTrue(f.primary().measured(), f.members() + " members: " + f.note());
            // A write reaches the 2 backups of its 3 owners, one message each; JGroups' acks and resends aside.
            assertEquals(2.0, f.primary().messages() - f.primary().acks() - f.primary().retransmissions(), 0.5,
                    f.members() + " members, from the primary per write: " + f.primary());
        }
        assertTrue(Files.exists(report.resolveSibling("throughput.png")), "throughput chart");
        assertTrue(Files.exists(report.resolveSibling("p99.png")), "p99 chart");
        assertTrue(Files.exists(report.resolveSibling("failover.png")), "failover chart");
    }
}
