package org.sessiongrid.jgroups;

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
 * Keeps {@link SealBenchmark} from rotting: runs each of its methods and shapes for a moment, in this JVM,
 * and checks that each produced a score (its set-up checks that every shape opens intact). Says nothing
 * about speed; the real run is the {@code jmh} Maven profile.
 */
class SealBenchmarkSmokeTest {

    @Test
    void everyShapeRunsSealedAndPlain() throws RunnerException {
        // JMH's lock keeps two measuring runs on one machine apart; this run measures nothing, and must not
        // fail because another build on the machine (core's smoke test) holds the lock at that moment.
        System.setProperty("jmh.ignoreLock", "true");
        Options options = new OptionsBuilder()
                .include(Pattern.quote(SealBenchmark.class.getName()) + "\\.")
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
            String name = method.substring(method.lastIndexOf('.') + 1) + " " + r.getParams().getParam("shape");
            assertTrue(score > 0 && Double.isFinite(score), name + " scored " + score);
            ran.add(name);
        }
        assertEquals(Set.of("plain ack", "plain heartbeat", "plain write", "sealed ack", "sealed heartbeat",
                "sealed write"), ran);
    }
}
