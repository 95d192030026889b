package org.sessiongrid.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.sessiongrid.testsupport.process.ProcCounters;

/**
 * A JMH profiler ({@code -prof org.sessiongrid.bench.KernelCountsProfiler}) that divides what the kernel counted for
 * the benchmark's JVM over each iteration by the iteration's operations: context switches, voluntary (a thread
 * blocked, e.g. a request thread waiting for its backups or a pool thread waiting for work) and involuntary (the
 * scheduler took its core), and read/write system calls (every socket read and write when the members talk over
 * real sockets, {@code -p stack=tcp}). These are the thread hand-offs and socket calls of one write, as the farm's
 * {@code NodeWindow} lines count them per node; unlike times, they carry over from a loaded machine.
 *
 * <p>{@code kernel.switches.caller.voluntary.norm} is the part of the voluntary switches on JMH's worker threads, the
 * threads that call the benchmark (for a commit, the wake-ups of the committing thread waiting for its backups).
 *
 * <p>Every member of the benchmark's cluster runs in the one JVM, so a write's counts are those of the primary and
 * both backups together (the farm's per-node lines are one node's). Threads that end within an iteration take their
 * switches with them (JGroups' pool keeps its threads for longer than an iteration).
 */
public final class KernelCountsProfiler implements InternalProfiler {

    /** How often the threads' counters are read: a thread that ends loses at most this much of its switches. */
    private static final long SAMPLE_MILLIS = 50;

    private ProcCounters before = ProcCounters.NONE;
    private ThreadSwitches switches;

    @Override
    public String getDescription() {
        return "context switches and read/write system calls of the JVM per operation (/proc/self)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before = ProcCounters.of(ProcessHandle.current().pid());
        switches = ThreadSwitches.start(SAMPLE_MILLIS);
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                      IterationResult result) {
        long[] sw = switches.stop();
        // JMH names its worker threads after the benchmark, and the kernel keeps a thread's first 15 characters.
        String benchmark = benchmarkParams.getBenchmark();
        long[] callers = switches.ofThreadsNamed(benchmark.substring(0, Math.min(15, benchmark.length())));
        ProcCounters d = ProcCounters.of(ProcessHandle.current().pid()).since(before);
        double ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        List<ScalarResult> out = new ArrayList<>(List.of(
                perOp("kernel.switches.voluntary.norm", sw[0], ops),
                perOp("kernel.switches.involuntary.norm", sw[1], ops),
                perOp("kernel.switches.norm", sw[0] + sw[1], ops),
                perOp("kernel.switches.caller.voluntary.norm", callers[0], ops)));
        if (d.readCalls() >= 0 && d.writeCalls() >= 0) {
            out.add(perOp("kernel.syscalls.read.norm", d.readCalls(), ops));
            out.add(perOp("kernel.syscalls.write.norm", d.writeCalls(), ops));
        }
        return out;
    }

    private static ScalarResult perOp(String label, long count, double ops) {
        return new ScalarResult(label, count / ops, "#/op", AggregationPolicy.AVG);
    }
}
