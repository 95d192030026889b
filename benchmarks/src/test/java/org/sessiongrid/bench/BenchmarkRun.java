package org.sessiongrid.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.report.BenchReport;
import org.sessiongrid.bench.run.ContenderResult;
import org.sessiongrid.bench.run.BenchSettings;
import org.sessiongrid.bench.run.Benchmark;

/**
 * The full benchmark of issue 8 (about 20 minutes on 2 cores), run only by the {@code benchmark} profile:
 * {@code mvn -B -pl benchmarks -Pbenchmark verify} ({@code -Dbench.parts=...}, {@code -Dbench.contenders=...}:
 * see {@link Benchmark}). Writes {@code target/report.md} and its charts; asserts no figure (they are the
 * report), but that every contender ran and is reported and that SessionGrid had no violation.
 */
class BenchmarkRun {

    @Test
    void fullRun() throws Exception {
        Path report = Path.of(System.getProperty("bench.report", "target/report.md"));
        Benchmark.Outcome o = new Benchmark(BenchSettings.fromSystemProperties(),
                Path.of(System.getProperty("bench.work", "target/bench-work"))).run();
        String md = BenchReport.write(o, report);
        System.out.println(md);
        // The figures are the report's; what is checked is that every contender it names ran and was
        // reported, and that SessionGrid's answers stayed correct under the load it measured.
        for (ContenderResult r : o.contenders()) {
            if (r.notRun() != null && r.notRun().startsWith("left out")) {
                continue; // -Dbench.parts / -Dbench.contenders
            }
            assertTrue(r.notRun() == null, r.contender() + " did not run: " + r.notRun());
            assertTrue(md.contains("| " + r.contender().label() + " | "), "no row for " + r.contender());
        }
        for (Contender c : new Contender[] {Contender.SESSIONGRID_TOMCAT, Contender.SESSIONGRID_JETTY}) {
            for (var e : BenchReport.figures(o.contenders(), c).entrySet()) {
                assertEquals(0, e.getValue().violations(), c + " " + e.getKey().id() + " violations");
            }
        }
        assertTrue(Files.exists(report), "report written to " + report);
    }
}
