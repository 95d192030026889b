package org.sessiongrid.bench.run;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.farm.LoopbackFarm;
import org.sessiongrid.bench.measure.IdleCpu;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.measure.NodeWindow;
import org.sessiongrid.bench.measure.ThreadCpu;
import org.sessiongrid.bench.measure.Warmup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 16's scale target on real farms: sticky writes on 3, 6 and 9 nodes (separate JVMs, small heaps) of
 * SessionGrid and of DeltaManager, one farm at a time, each measured as scenario (a) is, then the same farm idle
 * for a window as long. SessionGrid keeps three copies whatever the farm's size, so the CPU a write adds to its
 * farm should stay flat; DeltaManager copies every write to every other node, so its should grow. On one machine
 * every added node also adds its own idle cost (timers, heartbeats, GC) to the loaded window, so the part judges
 * the loaded CPU less the idle one ({@link IdleCpu}). A node of a larger farm also serves fewer writes per second,
 * so C2 compiles its write path later: the warm-up waits until it has on every node, at most the set maximum
 * times the farm's size over the smallest farm's, and each node's counts over the window are reported
 * ({@link NodeWindow}). The in-JVM scale part ({@code scale}) counts messages per
 * write up to 128 members; this part measures what those messages cost a farm in CPU.
 */
public final class FarmScaleRun {

    private static final Logger LOG = LoggerFactory.getLogger(FarmScaleRun.class);

    /** The two contenders whose lines the report draws. */
    public static final List<Contender> CONTENDERS = List.of(Contender.SESSIONGRID_TOMCAT, Contender.DELTA);

    /** Farm sizes unless {@code -Dbench.farmScaleSizes} says otherwise. */
    static final List<Integer> DEFAULT_SIZES = List.of(3, 6, 9);

    /**
     * Each node's -Xmx: nine nodes of the scenarios' 1 GiB would be 9 GiB of heap on the machine; the load's
     * sessions (64 users, 1 KiB each) need a few MiB.
     */
    public static final String NODE_HEAP = "256m";

    /**
     * Between the end of the load (and the final reads) and the idle window: requests and replications in flight,
     * and DeltaManager's asynchronous sends, finish first.
     */
    static final long IDLE_SETTLE_MILLIS = 2_000;

    /** Thread groups kept per idle farm, for the report's breakdown. */
    static final int IDLE_THREAD_GROUPS = 8;

    /**
     * One farm's figures, or why there are none.
     *
     * @param sticky the sticky writes' figures
     * @param warmup how the warm-up before them ended
     * @param idle the same farm right after, without load, over a window as long; null if not measured
     * @param problem why there are no figures, or null
     * @param perNode each node's counts over the loaded window; empty if not measured
     */
    public record Point(int nodes, Contender contender, LoadFigures sticky, Warmup warmup, IdleCpu idle, String problem,
                        List<NodeWindow> perNode) {

        public Point {
            perNode = List.copyOf(perNode);
        }

        /** A farm without per-node counts. */
        public Point(int nodes, Contender contender, LoadFigures sticky, Warmup warmup, IdleCpu idle, String problem) {
            this(nodes, contender, sticky, warmup, idle, problem, List.of());
        }
    }

    private final BenchSettings settings;
    private final Path work;
    private final String subnet;

    public FarmScaleRun(BenchSettings settings, Path work, String subnet) {
        this.settings = settings;
        this.work = work;
        this.subnet = subnet;
    }

    static List<Integer> sizes() {
        String s = System.getProperty("bench.farmScaleSizes", "");
        return s.isBlank() ? DEFAULT_SIZES
                : java.util.Arrays.stream(s.split(",")).map(String::trim).map(Integer::valueOf).toList();
    }

    /** {@link #CONTENDERS}, those of them {@code -Dbench.contenders} names if it is set. */
    static List<Contender> contenders() {
        String only = System.getProperty("bench.contenders", "");
        return only.isBlank() ? CONTENDERS
                : CONTENDERS.stream().filter(c -> List.of(only.split(",")).contains(c.name())).toList();
    }

    public List<Point> run() throws InterruptedException {
        List<Point> points = new ArrayList<>();
        for (int n : sizes()) {
            for (Contender c : contenders()) {
                LOG.info("farm scale: {} on {} nodes", c, n);
                Point p = farm(c, n);
                points.add(p);
                LOG.info("farm scale: {} on {} nodes: {}", c, n, p.sticky() != null ? p.sticky() + ", idle " + p.idle()
                        : p.problem());
            }
        }
        return points;
    }

    /** One farm of {@code c} on {@code n} nodes: started, loaded, left idle, stopped. */
    private Point farm(Contender c, int n) throws InterruptedException {
        // A node of a larger farm on the same cores serves fewer writes per second, and C2 takes up its write
        // path after about as many writes as on a smaller farm's node: the longest warm-up grows with the farm.
        BenchSettings farmSettings = settings.stickyWritesOn(n, NODE_HEAP)
                .withWarmupMaxMillis(settings.warmupMaxMillis() * n / Math.max(1, sizes().get(0)));
        ContenderResult r = new ContenderResult(c);
        LoopbackFarm farm = new LoopbackFarm(c, n, work, subnet, null, NODE_HEAP, farmSettings.nodeJvmArgs());
        try {
            long t0 = System.nanoTime();
            farm.startAll(n, ContenderRun.START_TIMEOUT_MILLIS);
            LOG.info("{}: {} nodes ready in {} ms", c, n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            List<NodeWindow> perNode = new ArrayList<>();
            new ContenderRun(farmSettings, work, subnet).load(farm, Scenario.STICKY_WRITES, null, r, false, perNode);
            for (NodeWindow w : perNode) {
                LOG.info("farm scale: {} on {} nodes, loaded window, {}", c, n, w.line());
            }
            IdleCpu idle = idle(farm, n, farmSettings.measureMillis());
            return new Point(n, c, r.scenarios().get(Scenario.STICKY_WRITES), r.warmups().get(Scenario.STICKY_WRITES),
                    idle, null, perNode);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("farm scale: {} on {} nodes failed", c, n, e);
            return new Point(n, c, r.scenarios().get(Scenario.STICKY_WRITES), r.warmups().get(Scenario.STICKY_WRITES),
                    null, String.valueOf(e).lines().findFirst().orElse("failed"));
        } finally {
            farm.close();
        }
    }

    /** The farm's CPU over {@code windowMillis} without load, after {@link #IDLE_SETTLE_MILLIS}. */
    static IdleCpu idle(LoopbackFarm farm, int n, long windowMillis) throws InterruptedException {
        // Fixed-length phases: the settling time and the idle window are what is measured.
        Thread.sleep(IDLE_SETTLE_MILLIS);
        ThreadCpu threads0 = farm.threadCpu();
        long cpu0 = farm.cpuNanos();
        long jit0 = farm.jitCpuNanos();
        long start = System.nanoTime();
        Thread.sleep(windowMillis);
        long cpu1 = farm.cpuNanos();
        long jit1 = farm.jitCpuNanos();
        long window = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        List<ThreadCpu.Group> groups = farm.threadCpu().since(threads0);
        return new IdleCpu(n, window, cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, jit0 < 0 || jit1 < 0 ? -1 : jit1 - jit0,
                groups.subList(0, Math.min(IDLE_THREAD_GROUPS, groups.size())));
    }
}
