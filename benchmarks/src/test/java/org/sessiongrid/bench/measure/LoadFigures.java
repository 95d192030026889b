package org.sessiongrid.bench.measure;

import java.util.ArrayList;
import java.util.List;

import org.sessiongrid.it.check.CheckResult;
import org.sessiongrid.it.check.Violation;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;

/**
 * The figures of one contender in one scenario: throughput and latency over the measured window (warm-up and
 * the final convergence reads excluded), errors, and the checker's correctness counts over the whole run.
 *
 * @param throughput successful requests per second in the window
 * @param p50Millis latency percentiles of the window's successful requests, milliseconds
 * @param requests requests in the window
 * @param errors failed requests in the window (no answer or an HTTP error)
 * @param staleReads increments that answered a value not above the last acknowledged one
 * @param lostUpdates acknowledged increments missing (stale reads, final reads below the acknowledged value,
 *        lost sessions), the checker's count
 * @param lostSessions sessions that disappeared or changed id without the user invalidating them
 * @param violations every violation the checker found
 * @param served successful requests of the whole run (warm-up and convergence reads included)
 * @param farmCpuMicrosPerRequest CPU time of every process of the farm (its nodes, and a central store such
 *        as redis-server) in the window, divided by the window's successful requests; -1 if not measured.
 *        On one machine the nodes share the cores; in a real farm each has its own, and the farm's capacity
 *        is its cores divided by this figure, so it is the figure that carries over
 * @param clientCpuMicrosPerRequest the load client's own CPU (this JVM) per successful request; -1 if not
 *        measured
 * @param jitCpuMicrosPerRequest the part of {@code farmCpuMicrosPerRequest} the nodes' JIT compiler threads
 *        used ({@link JitCpu}); -1 if not measured. A large part says the window measured the JIT's ramp
 */
public record LoadFigures(double throughput, double p50Millis, double p99Millis, double p999Millis, long requests,
                          long errors, long staleReads, long lostUpdates, long lostSessions, long violations,
                          long served, double farmCpuMicrosPerRequest, double clientCpuMicrosPerRequest,
                          double jitCpuMicrosPerRequest) {

    /** Figures of the ops that started at or after {@code from} and ended by {@code to} (history time). */
    public static LoadFigures of(History h, long from, long to, CheckResult check) {
        return of(h, from, to, check, -1, -1, -1);
    }

    /**
     * As {@link #of(History, long, long, CheckResult)}, with the CPU nanoseconds the farm, the client and the
     * farm's JIT compiler threads spent in the window (-1: not measured).
     */
    public static LoadFigures of(History h, long from, long to, CheckResult check, long farmCpuNanos,
                                 long clientCpuNanos, long jitCpuNanos) {
        List<Long> latencies = new ArrayList<>();
        long requests = 0;
        long errors = 0;
        long ok = 0;
        for (Op op : h.ops()) {
            if (op.start() < from || op.end() > to) {
                continue;
            }
            requests++;
            if (op.ok()) {
                ok++;
                latencies.add(op.latency());
            } else {
                errors++;
            }
        }
        latencies.sort(null);
        double seconds = Math.max(1, to - from) / 1000.0;
        return new LoadFigures(ok / seconds, percentile(latencies, 0.50), percentile(latencies, 0.99),
                percentile(latencies, 0.999), requests, errors, check.count(Violation.Type.STALE_READ),
                check.lostIncrements(), check.count(Violation.Type.SESSION_LOST), check.violations().size(),
                check.requests() - check.failed(), perRequest(farmCpuNanos, ok), perRequest(clientCpuNanos, ok),
                perRequest(jitCpuNanos, ok));
    }

    private static double perRequest(long cpuNanos, long ok) {
        return cpuNanos < 0 || ok == 0 ? -1 : cpuNanos / 1000.0 / ok;
    }

    static double percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** Whether the checker found nothing wrong. */
    public boolean correct() {
        return violations == 0;
    }
}
