package org.sessiongrid.jetty.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Keeps {@link AttributeSerializerBenchmark} from rotting: runs each of its methods for a moment, in this JVM,
 * and checks that each produced a score (its set-up checks that a value reads back). Says nothing about speed;
 * the real run is the {@code jmh} Maven profile.
 */
class AttributeSerializerBenchmarkSmokeTest {

    @Test
    void everyBenchmarkRunsAndProducesAScore() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(Pattern.quote(AttributeSerializerBenchmark.class.getName()) + "\\.")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(50))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Set<String> ran = new TreeSet<>();
        for (RunResult r : new Runner(options).run()) {
            String method = r.getParams().getBenchmark();
            double score = r.getPrimaryResult().getScore();
            String name = method.substring(method.lastIndexOf('.') + 1);
            assertTrue(score > 0 && Double.isFinite(score), name + " scored " + score);
            ran.add(name);
        }
        assertEquals(Set.of("decodeByteArray", "decodeCounter", "decodeList"), ran);
    }
}
