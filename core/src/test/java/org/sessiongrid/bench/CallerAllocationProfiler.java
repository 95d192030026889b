package org.sessiongrid.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler ({@code -prof org.sessiongrid.bench.CallerAllocationProfiler}) that gives the bytes allocated per
 * operation by JMH's worker threads alone ({@code caller.alloc.norm}): for a commit at the primary, what the
 * committing thread allocates (the encoding, the requests to the backups and the wait for them, the new record),
 * without the backups' side and without what the members' timers and heartbeats allocate meanwhile. JMH's
 * {@code -prof gc} counts every thread, so on a loaded machine, where a write takes longer, the background's share
 * of its bytes per operation grows with the load; this figure does not.
 */
public final class CallerAllocationProfiler implements InternalProfiler {

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private Map<Long, Long> before = Map.of();

    @Override
    public String getDescription() {
        return "bytes allocated per operation by the benchmark's own threads (JMH's workers)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        before = workers(benchmarkParams);
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                      IterationResult result) {
        double ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        long bytes = 0;
        for (Map.Entry<Long, Long> e : workers(benchmarkParams).entrySet()) {
            bytes += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return List.of(new ScalarResult("caller.alloc.norm", bytes / ops, "B/op", AggregationPolicy.AVG));
    }

    /** Allocated bytes so far of each live worker thread of this benchmark (JMH names them after it), by id. */
    private Map<Long, Long> workers(BenchmarkParams params) {
        String prefix = params.getBenchmark() + "-jmh-worker-";
        Map<Long, Long> out = new HashMap<>();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith(prefix)) {
                long b = threads.getThreadAllocatedBytes(t.getThreadId());
                if (b >= 0) {
                    out.put(t.getThreadId(), b);
                }
            }
        }
        return out;
    }
}
