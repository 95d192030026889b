package org.sessiongrid.bench.run;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.LoadFigures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 16's scale target on real farms: sticky writes on 3, 6 and 9 nodes (separate JVMs, small heaps) of
 * SessionGrid and of DeltaManager, one farm at a time, each measured as scenario (a) is. SessionGrid keeps three
 * copies whatever the farm's size, so its farm CPU per write should stay flat; DeltaManager copies every write
 * to every other node, so its should grow. The in-JVM scale part ({@code scale}) counts messages per write up to
 * 128 members; this part measures what those messages cost a farm in CPU.
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

    /** One farm's sticky-write figures, or why there are none. */
    public record Point(int nodes, Contender contender, LoadFigures sticky, String problem) {
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

    public List<Point> run() throws InterruptedException {
        List<Point> points = new ArrayList<>();
        for (int n : sizes()) {
            BenchSettings farm = settings.stickyWritesOn(n, NODE_HEAP);
            for (Contender c : CONTENDERS) {
                LOG.info("farm scale: {} on {} nodes", c, n);
                ContenderResult r = new ContenderRun(farm, work, subnet).run(c);
                LoadFigures f = r.scenarios().get(Scenario.STICKY_WRITES);
                String problem = r.notRun() != null ? r.notRun()
                        : f == null ? r.problems().getOrDefault(Scenario.STICKY_WRITES.id(), "no figures") : null;
                points.add(new Point(n, c, f, problem));
                LOG.info("farm scale: {} on {} nodes: {}", c, n, f != null ? f : problem);
            }
        }
        return points;
    }
}
