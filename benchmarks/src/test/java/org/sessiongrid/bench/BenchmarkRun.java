package org.sessiongrid.bench;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.sessiongrid.bench.report.BenchReport;
import org.sessiongrid.bench.run.BenchSettings;
import org.sessiongrid.bench.run.Benchmark;

/**
 * The full benchmark of issue 8 (about 20 minutes on 2 cores), run only by the {@code benchmark} profile:
 * {@code mvn -B -pl benchmarks -Pbenchmark verify} ({@code -Dbench.parts=...}, {@code -Dbench.contenders=...}:
 * see {@link Benchmark}). Writes {@code target/report.md} and its charts; asserts
 * nothing about the figures (they are the report), only that it was written.
 */
class BenchmarkRun {

    @Test
    void fullRun() throws Exception {
        Path report = Path.of(System.getProperty("bench.report", "target/report.md"));
        Benchmark.Outcome o = new Benchmark(BenchSettings.fromSystemProperties(),
                Path.of(System.getProperty("bench.work", "target/bench-work"))).run();
        System.out.println(BenchReport.write(o, report));
    }
}
