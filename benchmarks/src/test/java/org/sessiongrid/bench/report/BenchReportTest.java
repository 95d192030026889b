package org.sessiongrid.bench.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.ClientCeiling;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.measure.Ramp;
import org.sessiongrid.bench.run.ContenderResult;
import org.sessiongrid.bench.run.Scenario;

/** The report's aims judge figures, never the absence of one. */
class BenchReportTest {

    private static ContenderResult result(Contender c, LoadFigures sticky) {
        ContenderResult r = new ContenderResult(c);
        r.scenarios().put(Scenario.STICKY_WRITES, sticky);
        return r;
    }

    private static LoadFigures answered(double farmCpuMicros, double p99) {
        return new LoadFigures(1_000, 5, p99, p99, 30_000, 0, 0, 0, 0, 0, 30_000, farmCpuMicros, 20, 3);
    }

    private static String sealRow(LoadFigures sealed) {
        StringBuilder md = new StringBuilder();
        BenchReport.aims(md, List.of(result(Contender.SESSIONGRID_TOMCAT, answered(300, 30)),
                result(Contender.SESSIONGRID_TOMCAT_SEALED, sealed)));
        return md.toString().lines().filter(l -> l.contains("clusterSecret")).findFirst().orElseThrow();
    }

    @Test
    void aSealedFarmThatAnsweredNothingInItsWindowDoesNotMeetTheAim() {
        String row = sealRow(new LoadFigures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, -1, -1, -1));
        assertTrue(row.endsWith("| – |") && row.contains("answered no request"), row);
    }

    @Test
    void theSealsCostIsJudgedOnBothFigures() {
        assertTrue(sealRow(answered(320, 33)).endsWith("| yes |"), sealRow(answered(320, 33)));
        assertTrue(sealRow(answered(510, 60)).endsWith("| **no** |"), sealRow(answered(510, 60)));
    }

    private static String clientRow(ClientCeiling c) {
        ContenderResult standard = result(Contender.STANDARD, answered(80, 5));
        standard.clientCeiling(c);
        StringBuilder md = new StringBuilder();
        BenchReport.aims(md, List.of(result(Contender.SESSIONGRID_TOMCAT, answered(300, 30)), standard));
        return md.toString().lines().filter(l -> l.contains("load client is not the bottleneck")).findFirst().orElseThrow();
    }

    @Test
    void theClientsShareIsJudgedAgainstTheBareLoop() {
        assertTrue(clientRow(new ClientCeiling(10_000, 20, 9_000, 40)).endsWith("| yes |"));
        assertTrue(clientRow(new ClientCeiling(10_000, 20, 5_000, 90)).endsWith("| **no** |"));
        assertTrue(clientRow(new ClientCeiling(0, -1, 5_000, 90)).endsWith("| – |"), "a bare loop without answers");
        assertTrue(clientRow(null).contains("not measured"));
    }

    private static String warmupRow(Ramp ramp) {
        ContenderResult sg = result(Contender.SESSIONGRID_TOMCAT, answered(300, 30));
        sg.ramp(ramp);
        StringBuilder md = new StringBuilder();
        BenchReport.aims(md, List.of(sg));
        return md.toString().lines().filter(l -> l.contains("warm-up")).findFirst().orElseThrow();
    }

    private static Ramp ramp(int seconds, int to80) {
        java.util.Map<Integer, Integer> perSecond = new java.util.HashMap<>();
        for (int s = 0; s < seconds; s++) {
            perSecond.put(s, 100);
        }
        return new Ramp(perSecond, 120, to80);
    }

    private static LoadFigures measured(double throughput, double farmCpuMicros, long violations) {
        long requests = Math.round(throughput * 30);
        return new LoadFigures(throughput, 5, 30, 30, requests, 0, violations, violations, 0, violations, requests,
                farmCpuMicros, 20, -1);
    }

    /** The aims row that starts with {@code aim}, SessionGrid and Hazelcast (sticky-session=false) measured so. */
    private static String peerRow(String aim, Scenario s, LoadFigures sg, LoadFigures hazelcast) {
        return peerRow(aim, s, sg, Contender.HAZELCAST, hazelcast);
    }

    /** The aims row that starts with {@code aim}, SessionGrid and {@code peer} measured so. */
    private static String peerRow(String aim, Scenario s, LoadFigures sg, Contender peer, LoadFigures theirs) {
        ContenderResult mine = new ContenderResult(Contender.SESSIONGRID_TOMCAT);
        mine.scenarios().put(s, sg);
        ContenderResult other = new ContenderResult(peer);
        other.scenarios().put(s, theirs);
        // The sticky-session=true figures are faster, but not the yardstick: they must not be what is judged.
        ContenderResult sticky = new ContenderResult(Contender.HAZELCAST_STICKY);
        sticky.scenarios().put(s, measured(100_000, 10, 0));
        StringBuilder md = new StringBuilder();
        BenchReport.aims(md, List.of(mine, other, sticky));
        return md.toString().lines().filter(l -> l.startsWith("| (issue 16) " + aim)).findFirst().orElseThrow();
    }

    @Test
    void stickyWritesAreJudgedAgainstHazelcastsModeWithTheSameGuarantees() {
        String aim = "(a) sticky writes ≥ 2.00× Hazelcast (hazelcast-wm, sticky-session=false)";
        String ahead = peerRow(aim, Scenario.STICKY_WRITES, measured(10_000, 200, 0), measured(4_000, 434, 0));
        assertTrue(ahead.endsWith("| yes |") && ahead.contains("2.50×"), ahead);
        String behind = peerRow(aim, Scenario.STICKY_WRITES, measured(6_647, 245, 0), measured(3_962, 434, 0));
        assertTrue(behind.endsWith("| **no** |") && behind.contains("1.68×"), behind);
        String silent = peerRow(aim, Scenario.STICKY_WRITES, measured(6_647, 245, 0), measured(0, -1, 0));
        assertTrue(silent.endsWith("| – |") && silent.contains("answered no request"), silent);
    }

    @Test
    void farmCpuPerStickyWriteIsJudgedAgainstHazelcast() {
        String aim = "(a) farm CPU per sticky write ≤ 0.50× Hazelcast (hazelcast-wm, sticky-session=false)'s";
        String lean = peerRow(aim, Scenario.STICKY_WRITES, measured(10_000, 200, 0), measured(4_000, 434, 0));
        assertTrue(lean.endsWith("| yes |") && lean.contains("0.46×"), lean);
        String heavy = peerRow(aim, Scenario.STICKY_WRITES, measured(6_647, 245, 0), measured(3_962, 434, 0));
        assertTrue(heavy.endsWith("| **no** |") && heavy.contains("0.56×"), heavy);
        String unknown = peerRow(aim, Scenario.STICKY_WRITES, measured(6_647, -1, 0), measured(3_962, 434, 0));
        assertTrue(unknown.endsWith("| – |"), unknown);
    }

    @Test
    void roundRobinNeedsHazelcastsThroughputAndZeroViolations() {
        String aim = "(c) round-robin with 0 violations ≥ 1.00× Hazelcast (hazelcast-wm, sticky-session=false)";
        String met = peerRow(aim, Scenario.ROUND_ROBIN_WRITES, measured(4_000, 300, 0), measured(3_663, 400, 0));
        assertTrue(met.endsWith("| yes |"), met);
        String slow = peerRow(aim, Scenario.ROUND_ROBIN_WRITES, measured(1_335, 300, 0), measured(3_663, 400, 0));
        assertTrue(slow.endsWith("| **no** |") && slow.contains("0.36×"), slow);
        String stale = peerRow(aim, Scenario.ROUND_ROBIN_WRITES, measured(4_000, 300, 12), measured(3_663, 400, 0));
        assertTrue(stale.endsWith("| **no** |") && stale.contains("violations 12 vs 0"), stale);
    }

    @Test
    void roundRobinNeedsFiveTimesRedissonsThroughputAndZeroViolations() {
        String aim = "(c) round-robin with 0 violations ≥ 5.00× Redisson + redis-server";
        Scenario rr = Scenario.ROUND_ROBIN_WRITES;
        // Redisson's own violations are shown beside SessionGrid's, not judged.
        String met = peerRow(aim, rr, measured(4_000, 300, 0), Contender.REDISSON, measured(700, 900, 3));
        assertTrue(met.endsWith("| yes |") && met.contains("5.71×") && met.contains("violations 0 vs 3"), met);
        String slow = peerRow(aim, rr, measured(1_335, 300, 0), Contender.REDISSON, measured(700, 900, 0));
        assertTrue(slow.endsWith("| **no** |") && slow.contains("1.91×"), slow);
        String stale = peerRow(aim, rr, measured(4_000, 300, 12), Contender.REDISSON, measured(700, 900, 0));
        assertTrue(stale.endsWith("| **no** |") && stale.contains("violations 12 vs 0"), stale);
        String silent = peerRow(aim, rr, measured(4_000, 300, 0), Contender.REDISSON, measured(0, -1, 0));
        assertTrue(silent.endsWith("| – |") && silent.contains("Redisson + redis-server answered no request"), silent);
        String mute = peerRow(aim, rr, measured(0, -1, 0), Contender.REDISSON, measured(700, 900, 0));
        assertTrue(mute.endsWith("| – |") && mute.contains("answered no request"), mute);
    }

    @Test
    void theRedissonAimIsNotMeasuredWithoutARedissonFigure() {
        ContenderResult mine = new ContenderResult(Contender.SESSIONGRID_TOMCAT);
        mine.scenarios().put(Scenario.ROUND_ROBIN_WRITES, measured(4_000, 300, 0));
        ContenderResult redisson = new ContenderResult(Contender.REDISSON);
        redisson.notRun("redis-server is not installed");
        StringBuilder md = new StringBuilder();
        BenchReport.aims(md, List.of(mine, redisson));
        String row = md.toString().lines().filter(l -> l.contains("× Redisson")).findFirst().orElseThrow();
        assertTrue(row.endsWith("| not measured | – |"), row);
    }

    @Test
    void theWarmUpAimNeedsARampLongEnoughToJudge() {
        assertTrue(warmupRow(ramp(60, 12)).endsWith("| yes |"), warmupRow(ramp(60, 12)));
        assertTrue(warmupRow(ramp(60, 41)).endsWith("| **no** |"));
        assertTrue(warmupRow(ramp(60, -1)).endsWith("| **no** |"));
        assertTrue(warmupRow(ramp(20, 3)).endsWith("| – |"), "a 20 s warm-up cannot show 30 s");
        assertTrue(warmupRow(null).contains("not measured"));
    }

    @Test
    void everyWindowsWarmUpIsReportedWithWhyItEnded() {
        ContenderResult sg = result(Contender.SESSIONGRID_TOMCAT, answered(300, 30));
        sg.warmups().put(Scenario.STICKY_WRITES, new org.sessiongrid.bench.measure.Warmup(180_000, false, 0.081, 0.004));
        ContenderResult delta = result(Contender.DELTA, answered(250, 30));
        delta.warmups().put(Scenario.STICKY_WRITES, new org.sessiongrid.bench.measure.Warmup(41_000, true, 0.012, -0.03));
        StringBuilder md = new StringBuilder();
        WarmupSection.ends(md, List.of(sg, delta));
        String s = md.toString();
        assertTrue(s.contains("| SessionGrid (Tomcat 11) | a | 180 s | **still in the ramp**: the maximum ended it (JIT 8.1 % "
                + "of the farm's CPU, rate +0.4 % over the last 5 s) |"), s);
        assertTrue(s.contains("| a | 41.00 s | the JIT went quiet and the rate is flat (JIT 1.2 % of the farm's CPU, "
                + "rate -3.0 %"), s);
    }
}
