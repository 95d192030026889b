package org.sessiongrid.bench.measure;

import java.util.List;

import org.sessiongrid.testsupport.process.ProcCounters;

/**
 * One node of a farm over a loaded window: the writes it answered, the CPU it spent and on which threads, how
 * often its threads blocked or were preempted, its read/write system calls, SessionGrid's own counters (messages
 * sent, commits run as primary, remote commits), how many of its threads were runnable on average, and whether
 * C2 had compiled its write path. Divided by the writes, these are the counts that explain a CPU figure on a
 * loaded machine, where the times themselves are not reliable.
 *
 * @param node the node's name
 * @param writes writes it answered in the window
 * @param cpuNanos its process CPU in the window
 * @param kernel context switches and system calls in the window
 * @param grid SessionGrid's counters in the window ({@link GridCounters#NONE} for other contenders)
 * @param meanRunnable its threads in state R, averaged over the window's samples
 * @param tiers its hot write path methods at C2 at the window's end
 * @param threads its threads' CPU in the window by group, the largest first
 */
public record NodeWindow(String node, long writes, long cpuNanos, ProcCounters kernel, GridCounters grid,
                         double meanRunnable, HotPathTiers tiers, List<ThreadCpu.Group> threads) {

    public NodeWindow {
        threads = List.copyOf(threads);
    }

    /** {@code count} per write answered here, -1 without writes. */
    public double perWrite(long count) {
        return writes <= 0 || count < 0 ? -1 : (double) count / writes;
    }

    /** One readable line: the counts per write answered on this node. */
    public String line() {
        StringBuilder s = new StringBuilder(node).append(": ").append(writes).append(" writes, ")
                .append(fmt(perWrite(cpuNanos) / 1000)).append(" µs CPU, switches ")
                .append(fmt(perWrite(kernel.voluntarySwitches()))).append(" vol + ")
                .append(fmt(perWrite(kernel.involuntarySwitches()))).append(" invol, syscalls ")
                .append(fmt(perWrite(kernel.readCalls()))).append(" r + ").append(fmt(perWrite(kernel.writeCalls())))
                .append(" w, runnable ").append(fmt(meanRunnable));
        if (grid != GridCounters.NONE) {
            s.append(", sent ").append(fmt(perWrite(grid.messagesSent()))).append(" msgs / ")
                    .append(fmt(perWrite(grid.bytesSent()))).append(" B, commits here ").append(grid.commits())
                    .append(", remote commits sent ").append(grid.remoteCommitsSent())
                    .append(", replications sent ").append(grid.replicationsSent())
                    .append(", suspicions ").append(grid.suspicions()).append(", rebalances ").append(grid.rebalances())
                    .append(", topology ").append(grid.topologyId());
        }
        if (tiers.of() > 0) {
            s.append(", hot path at C2 ").append(tiers.compiled()).append('/').append(tiers.of());
        }
        s.append("; threads µs/write:");
        for (ThreadCpu.Group g : threads.subList(0, Math.min(6, threads.size()))) {
            s.append(' ').append(g.name()).append('=').append(fmt(perWrite(g.nanos()) / 1000));
        }
        return s.toString();
    }

    private static String fmt(double v) {
        return v < 0 ? "–" : v >= 100 ? String.format("%.0f", v) : String.format("%.2f", v);
    }
}
