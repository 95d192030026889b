package org.sessiongrid.bench.run;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.sessiongrid.bench.farm.Http;
import org.sessiongrid.bench.farm.LoopbackFarm;
import org.sessiongrid.bench.measure.GridCounters;
import org.sessiongrid.bench.measure.HotPathTiers;
import org.sessiongrid.bench.measure.NodeWindow;
import org.sessiongrid.bench.measure.ThreadCpu;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;
import org.sessiongrid.testsupport.process.ProcCounters;

/**
 * Reads every node of a farm at the start and the end of a loaded window, and samples its runnable threads in
 * between: what {@link NodeWindow} reports per node. Used by the farm scale part, where the question is what a
 * write costs each node of a larger farm, not only the farm's total.
 */
final class LoadedWindow {

    /** Between two samples of the runnable threads. */
    static final long SAMPLE_MILLIS = 500;

    /** One node's readings at the window's start; {@code at} on the history's clock, after the slowest reading. */
    private record Start(long cpuNanos, ThreadCpu threads, ProcCounters kernel, GridCounters grid, long at) {
    }

    private final LoopbackFarm farm;
    private final History h;
    private final Map<String, Start> starts = new HashMap<>();
    private final Map<String, long[]> runnable = new HashMap<>();

    LoadedWindow(LoopbackFarm farm, History h) {
        this.farm = farm;
        this.h = h;
    }

    /**
     * Reads every node. On a loaded machine reading a node takes a while (its status page, a few hundred
     * {@code /proc} files), so each node's readings are timed and its writes counted between its own two readings.
     */
    void start() throws InterruptedException {
        for (LoopbackFarm.Node n : farm.live()) {
            long pid = n.process().pid();
            GridCounters grid = grid(n);
            long cpu = LoopbackFarm.cpuNanos(pid);
            ThreadCpu threads = ThreadCpu.of(pid);
            ProcCounters kernel = ProcCounters.of(pid);
            starts.put(n.name(), new Start(cpu, threads == null ? new ThreadCpu(Map.of(), Map.of()) : threads, kernel,
                    grid, h.now()));
            runnable.put(n.name(), new long[2]);
        }
    }

    /** Samples each node's runnable threads once. */
    void sample() {
        for (LoopbackFarm.Node n : farm.live()) {
            long[] sum = runnable.get(n.name());
            if (sum != null) {
                sum[0] += ProcCounters.runnableThreads(n.process().pid());
                sum[1]++;
            }
        }
    }

    /** Keeps sampling until {@code until} on the history's clock. */
    void sampleUntil(long until) throws InterruptedException {
        while (h.now() < until) {
            sample();
            // A fixed-length window: the wait is the measurement itself.
            Thread.sleep(Math.max(0, Math.min(SAMPLE_MILLIS, until - h.now())));
        }
    }

    /** Each node from its start reading to its end reading, the writes it answered in between counted from the history. */
    List<NodeWindow> end() throws InterruptedException {
        List<NodeWindow> nodes = new ArrayList<>();
        for (LoopbackFarm.Node n : farm.live()) {
            Start s = starts.get(n.name());
            if (s == null) {
                continue;
            }
            long pid = n.process().pid();
            GridCounters grid = grid(n);
            long cpu = LoopbackFarm.cpuNanos(pid);
            ThreadCpu threads = ThreadCpu.of(pid);
            ProcCounters kernel = ProcCounters.of(pid).since(s.kernel());
            long at = h.now();
            long[] r = runnable.get(n.name());
            nodes.add(new NodeWindow(n.name(), writes(n.name(), s.at(), at),
                    cpu < 0 || s.cpuNanos() < 0 ? -1 : cpu - s.cpuNanos(), kernel,
                    grid == GridCounters.NONE ? grid : grid.since(s.grid()), r[1] == 0 ? 0 : (double) r[0] / r[1],
                    HotPathTiers.NONE, threads == null ? List.of() : threads.since(s.threads())));
        }
        return nodes;
    }

    /** {@code nodes} with each node's C2 tiers read now (a {@code jcmd} per node: after the window). */
    List<NodeWindow> withTiers(List<NodeWindow> nodes) throws InterruptedException {
        List<NodeWindow> out = new ArrayList<>();
        for (NodeWindow w : nodes) {
            LoopbackFarm.Node n = farm.live().stream().filter(x -> x.name().equals(w.node())).findFirst().orElse(null);
            HotPathTiers tiers = n == null ? HotPathTiers.NONE : HotPathTiers.of(n.process().pid(), hotPath(farm));
            out.add(new NodeWindow(w.node(), w.writes(), w.cpuNanos(), w.kernel(), w.grid(), w.meanRunnable(), tiers,
                    w.threads()));
        }
        return out;
    }

    /** Writes node {@code node} answered that ended in ({@code from}, {@code to}]. */
    private long writes(String node, long from, long to) {
        long n = 0;
        for (Op op : h.ops()) {
            if (op.ok() && op.end() > from && op.end() <= to && node.equals(op.node())) {
                n++;
            }
        }
        return n;
    }

    /**
     * The write path methods whose tier says whether C2 has compiled a node of {@code farm}: SessionGrid's; none
     * for the other contenders (DeltaManager's candidates, {@code Http11Processor.service} and
     * {@code ReplicationValve.invoke}, never showed as code of their own at tier 4, and a name that never shows
     * would hold every warm-up to its maximum).
     */
    static List<String> hotPath(LoopbackFarm farm) {
        return farm.contender().isSessionGrid() ? HotPathTiers.HOT : List.of();
    }

    /** Whether C2 has compiled the write path of every live node ({@link HotPathTiers}); true without a list. */
    static boolean compiledEverywhere(LoopbackFarm farm) throws InterruptedException {
        if (hotPath(farm).isEmpty()) {
            return true;
        }
        for (LoopbackFarm.Node n : farm.live()) {
            if (!HotPathTiers.of(n.process().pid(), hotPath(farm)).all()) {
                return false;
            }
        }
        return true;
    }

    private GridCounters grid(LoopbackFarm.Node n) throws InterruptedException {
        return farm.contender().isSessionGrid() ? GridCounters.of(Http.status(n.statusUrl(true))) : GridCounters.NONE;
    }
}
