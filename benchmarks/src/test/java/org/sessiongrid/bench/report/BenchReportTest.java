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
        return new LoadFigures(1_000, 5, p99, p99, 30_000, 0, 0, 0, 0, 0, 30_000, farmCpuMicros, 20);
    }

    private static String sealRow(LoadFigures sealed) {
        StringBuilder md = new StringBuilder();
        BenchReport.aims(md, List.of(result(Contender.SESSIONGRID_TOMCAT, answered(300, 30)),
                result(Contender.SESSIONGRID_TOMCAT_SEALED, sealed)));
        return md.toString().lines().filter(l -> l.contains("clusterSecret")).findFirst().orElseThrow();
    }

    @Test
    void aSealedFarmThatAnsweredNothingInItsWindowDoesNotMeetTheAim() {
        String row = sealRow(new LoadFigures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, -1, -1));
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

    @Test
    void theWarmUpAimNeedsARampLongEnoughToJudge() {
        assertTrue(warmupRow(ramp(60, 12)).endsWith("| yes |"), warmupRow(ramp(60, 12)));
        assertTrue(warmupRow(ramp(60, 41)).endsWith("| **no** |"));
        assertTrue(warmupRow(ramp(60, -1)).endsWith("| **no** |"));
        assertTrue(warmupRow(ramp(20, 3)).endsWith("| – |"), "a 20 s warm-up cannot show 30 s");
        assertTrue(warmupRow(null).contains("not measured"));
    }
}
