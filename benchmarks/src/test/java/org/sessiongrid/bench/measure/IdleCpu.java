package org.sessiongrid.bench.measure;

import java.util.List;

/**
 * What a farm's nodes spend with no load: timers, heartbeats, failure detection, GC, a JIT still compiling.
 * Measured over a window as long as the loaded one, right after it (the JIT warm, the sessions still there), it
 * is the part of the loaded window's CPU that requests did not cause; subtracted, what is left is the marginal
 * cost of a request, the figure that carries over to a farm whose nodes each have their own cores.
 *
 * @param nodes the farm's nodes
 * @param windowMillis the idle window's length
 * @param cpuNanos CPU of every node process in the window; -1 if unreadable
 * @param jitCpuNanos the part of it their JIT compiler threads used; -1 if unreadable
 * @param threads the farm's threads that used CPU in the window, grouped by pool over all nodes, the largest first
 */
public record IdleCpu(int nodes, long windowMillis, long cpuNanos, long jitCpuNanos, List<ThreadCpu.Group> threads) {

    public IdleCpu {
        threads = List.copyOf(threads);
    }

    /** Whether the window's CPU was read. */
    public boolean measured() {
        return cpuNanos >= 0 && windowMillis > 0 && nodes > 0;
    }

    /** Milliseconds of CPU an idle node spends per second (10 ms/s is 1 % of a core); -1 if not measured. */
    public double perNodeMillisPerSecond() {
        return measured() ? perSecondMicros(cpuNanos) / 1000.0 / nodes : -1;
    }

    /**
     * As {@link #perNodeMillisPerSecond()}, without the compiler threads: the idle cost a node keeps once its JIT
     * is done (a JIT still compiling after the load stopped is the ramp's, not idleness's). -1 if not measured.
     */
    public double perNodeMillisPerSecondWithoutJit() {
        return measured() && jitCpuNanos >= 0 ? perSecondMicros(cpuNanos - jitCpuNanos) / 1000.0 / nodes : -1;
    }

    /** {@code nanos} over the window, in microseconds per second. */
    private double perSecondMicros(long nanos) {
        return nanos / 1000.0 / (windowMillis / 1000.0);
    }

    /**
     * The loaded window's farm CPU per request less what the farm spends idle in the same time: the idle CPU per
     * second divided by the requests answered per second. -1 where either figure is missing.
     */
    public double marginalMicrosPerRequest(LoadFigures loaded) {
        if (!measured() || loaded.farmCpuMicrosPerRequest() < 0 || loaded.throughput() <= 0) {
            return -1;
        }
        return loaded.farmCpuMicrosPerRequest() - perSecondMicros(cpuNanos) / loaded.throughput();
    }

    /**
     * As {@link #marginalMicrosPerRequest}, both windows without their compiler threads' CPU: what a request
     * costs a farm whose JIT is done. -1 where a figure is missing.
     */
    public double marginalWithoutJitMicrosPerRequest(LoadFigures loaded) {
        if (!measured() || jitCpuNanos < 0 || loaded.farmCpuMicrosPerRequest() < 0
                || loaded.jitCpuMicrosPerRequest() < 0 || loaded.throughput() <= 0) {
            return -1;
        }
        return loaded.farmCpuMicrosPerRequest() - loaded.jitCpuMicrosPerRequest()
                - perSecondMicros(cpuNanos - jitCpuNanos) / loaded.throughput();
    }
}
