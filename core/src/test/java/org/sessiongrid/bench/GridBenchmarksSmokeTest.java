package org.sessiongrid.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
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
        assertEveryBenchmarkScores(GridLatencyBenchmark.class, GridBenchmarks.class, new OptionsBuilder()
                .threads(2) // more than one, so that the per-thread session shares are exercised
                .param("sessions", "64") // fewer sessions to create: setup dominates so short a run
                .measurementTime(TimeValue.milliseconds(200)));
    }

    @Test
    void everyCodecBenchmarkRunsAndProducesAScore() throws RunnerException {
        assertEveryBenchmarkScores(CodecBenchmark.class, CodecBenchmark.class, new OptionsBuilder()
                .param("valueBytes", "1024")
                .measurementTime(TimeValue.milliseconds(100)));
    }

    @Test
    void everyStoreBenchmarkRunsAndProducesAScore() throws RunnerException {
        assertEveryBenchmarkScores(StoreBenchmark.class, StoreBenchmark.class, new OptionsBuilder()
                .param("sessions", "100")
                .measurementTime(TimeValue.milliseconds(100)));
    }

    /**
     * Runs the benchmarks of {@code run} once each, in this JVM, with {@code options} added, and checks
     * that every {@code @Benchmark} method declared by {@code declaring} produced a positive score.
     */
    private static void assertEveryBenchmarkScores(Class<?> run, Class<?> declaring, ChainedOptionsBuilder options)
            throws RunnerException {
        Options o = options
                .include(Pattern.quote(run.getName()) + "\\.")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : new Runner(o).run()) {
            String method = r.getParams().getBenchmark();
            scores.put(method.substring(method.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Map<String, Double> expected = new TreeMap<>();
        Arrays.stream(declaring.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .forEach(m -> expected.put(m.getName(), 0.0));
        assertEquals(expected.keySet(), scores.keySet(), run.getSimpleName() + ": benchmarks that produced a result");
        scores.forEach((name, score) -> assertTrue(score > 0 && Double.isFinite(score),
                run.getSimpleName() + "." + name + " scored " + score));
    }
}
