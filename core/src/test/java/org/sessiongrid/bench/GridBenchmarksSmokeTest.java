package org.sessiongrid.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Keeps the benchmarks from rotting: runs every one of them for a moment, in this JVM, and checks
 * that it produced a score. Says nothing about speed (timings on a shared CI machine mean nothing);
 * the real run is the {@code jmh} Maven profile.
 */
class GridBenchmarksSmokeTest {

    @Test
    void everyBenchmarkRunsAndProducesAScore() throws RunnerException {
        // One mode is enough to exercise each method; the throughput class runs the same methods.
        Options options = new OptionsBuilder()
                .include(Pattern.quote(GridLatencyBenchmark.class.getName()) + "\\.")
                .forks(0)
                .threads(2) // more than one, so that the per-thread session shares are exercised
                .param("sessions", "64") // fewer sessions to create: setup dominates so short a run
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark();
            scores.put(method.substring(method.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Map<String, Double> expected = new TreeMap<>();
        Arrays.stream(GridBenchmarks.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .forEach(m -> expected.put(m.getName(), 0.0));
        assertEquals(expected.keySet(), scores.keySet(), "benchmarks that produced a result");
        scores.forEach((name, score) -> assertTrue(score > 0 && Double.isFinite(score),
                name + " scored " + score));
    }

    @Test
    void everyCodecBenchmarkRunsAndProducesAScore() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(Pattern.quote(CodecBenchmark.class.getName()) + "\\.")
                .forks(0)
                .param("valueBytes", "1024")
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : new Runner(options).run()) {
            String method = r.getParams().getBenchmark();
            scores.put(method.substring(method.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Map<String, Double> expected = new TreeMap<>();
        Arrays.stream(CodecBenchmark.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .forEach(m -> expected.put(m.getName(), 0.0));
        assertEquals(expected.keySet(), scores.keySet(), "codec benchmarks that produced a result");
        scores.forEach((name, score) -> assertTrue(score > 0 && Double.isFinite(score),
                name + " scored " + score));
    }

    @Test
    void everyStoreBenchmarkRunsAndProducesAScore() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(Pattern.quote(StoreBenchmark.class.getName()) + "\\.")
                .forks(0)
                .param("sessions", "100")
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : new Runner(options).run()) {
            String method = r.getParams().getBenchmark();
            scores.put(method.substring(method.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Map<String, Double> expected = new TreeMap<>();
        Arrays.stream(StoreBenchmark.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .forEach(m -> expected.put(m.getName(), 0.0));
        assertEquals(expected.keySet(), scores.keySet(), "store benchmarks that produced a result");
        scores.forEach((name, score) -> assertTrue(score > 0 && Double.isFinite(score),
                name + " scored " + score));
    }
}
