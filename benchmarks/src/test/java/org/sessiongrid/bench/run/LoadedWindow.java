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
import org.sessiongrid.bench.measure.ProcCounters;
import org.sessiongrid.bench.measure.ThreadCpu;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;

/**
 * Reads every node of a farm at the start and the end of a loaded window, and samples its runnable threads in
 * between: what {@link NodeWindow} reports per node. Used by the farm scale part, where the question is what a
 * write costs each node of a larger farm, not only the farm's total.
 */
final class LoadedWindow {

    /** Between two samples of the runnable threads. */
    static final long SAMPLE_MILLIS = 500;

    private record Start(long cpuNanos, ThreadCpu threads, ProcCounters kernel, GridCounters grid) {
    }

    private final LoopbackFarm farm;
    private final Map<String, Start> starts = new HashMap<>();
    private final Map<String, long[]> runnable = new HashMap<>();

    LoadedWindow(LoopbackFarm farm) {
        this.farm = farm;
    }

    void start() throws InterruptedException {
        for (LoopbackFarm.Node n : farm.live()) {
            long pid = n.process().pid();
            ThreadCpu threads = ThreadCpu.of(pid);
            starts.put(n.name(), new Start(LoopbackFarm.cpuNanos(pid),
                    threads == null ? new ThreadCpu(Map.of(), Map.of()) : threads, ProcCounters.of(pid), grid(n)));
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

    /** Keeps sampling until {@code until} on {@code h}'s clock. */
    void sampleUntil(History h, long until) throws InterruptedException {
        while (h.now() < until) {
            sample();
            // A fixed-length window: the wait is the measurement itself.
            Thread.sleep(Math.max(0, Math.min(SAMPLE_MILLIS, until - h.now())));
        }
    }

    /** Each node over the window, the writes it answered counted from {@code h} between {@code from} and {@code to}. */
    List<NodeWindow> end(History h, long from, long to) throws InterruptedException {
        Map<String, Long> writes = new HashMap<>();
        for (Op op : h.ops()) {
            if (op.ok() && op.start() >= from && op.end() <= to) {
                writes.merge(op.node(), 1L, Long::sum);
            }
        }
        List<NodeWindow> nodes = new ArrayList<>();
        for (LoopbackFarm.Node n : farm.live()) {
            Start s = starts.get(n.name());
            if (s == null) {
                continue;
            }
            long pid = n.process().pid();
            long cpu = LoopbackFarm.cpuNanos(pid);
            ThreadCpu threads = ThreadCpu.of(pid);
            ProcCounters kernel = ProcCounters.of(pid).since(s.kernel());
            GridCounters grid = grid(n);
            long[] r = runnable.get(n.name());
            nodes.add(new NodeWindow(n.name(), writes.getOrDefault(n.name(), 0L),
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
            HotPathTiers tiers = n == null || !farm.contender().isSessionGrid() ? HotPathTiers.NONE
                    : HotPathTiers.of(n.process().pid());
            out.add(new NodeWindow(w.node(), w.writes(), w.cpuNanos(), w.kernel(), w.grid(), w.meanRunnable(), tiers,
                    w.threads()));
        }
        return out;
    }

    private GridCounters grid(LoopbackFarm.Node n) throws InterruptedException {
        return farm.contender().isSessionGrid() ? GridCounters.of(Http.status(n.statusUrl(true))) : GridCounters.NONE;
    }
}
