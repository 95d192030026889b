package org.sessiongrid.bench.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.farm.SubnetLease;
import org.sessiongrid.bench.measure.RebalanceFigures;
import org.sessiongrid.bench.scale.ScaleFigures;
import org.sessiongrid.bench.scale.ScaleLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole benchmark: every contender one after the other (never two farms at once: 2 cores), then the
 * rebalance, the in-JVM scale run of SessionGrid and the farm scale run (SessionGrid and DeltaManager on 3, 6 and
 * 9 nodes). The caller writes the report from {@link Outcome}.
 * {@code -Dbench.parts=contenders,rebalance,scale,farmscale} and {@code -Dbench.contenders=DELTA,...} (enum names)
 * run a subset; what is left out is reported as not run. {@code -Dbench.parts=memory} (without {@code contenders})
 * runs only the memory part of each contender picked, on a fresh farm.
 */
public final class Benchmark {

    private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);

    /** What was measured, and when. */
    public record Outcome(BenchSettings settings, List<ContenderResult> contenders, RebalanceFigures rebalance,
                          String rebalanceProblem, List<ScaleFigures> scale, String scaleProblem,
                          List<FarmScaleRun.Point> farmScale, String farmScaleProblem, long startedAt,
                          long finishedAt, String loadBefore, String loadAfter) {
    }

    private final BenchSettings settings;
    private final Path work;

    public Benchmark(BenchSettings settings, Path work) {
        this.settings = settings;
        this.work = work;
    }

    /**
     * Runs every part picked in a subnet of 127.0.0.0/8 of this run's own ({@link SubnetLease}), so that another
     * run on the machine, the fault matrix or a unit test on 127.0.0.1 never shares an address and port with it.
     */
    public Outcome run() throws Exception {
        try (SubnetLease lease = SubnetLease.take()) {
            LOG.info("farms listen on {}.*", lease.subnet());
            return run(lease.subnet());
        }
    }

    private Outcome run(String subnet) throws Exception {
        Files.createDirectories(work);
        long started = System.currentTimeMillis();
        String loadBefore = loadAverage();
        List<ContenderResult> results = new ArrayList<>();
        ContenderRun runner = new ContenderRun(settings, work, subnet);
        Set<String> parts = Set.of(System.getProperty("bench.parts", settings.defaultParts()).split(","));
        String only = System.getProperty("bench.contenders", "");
        for (Contender c : Contender.values()) {
            ContenderResult r = new ContenderResult(c);
            boolean memoryOnly = parts.contains("memory") && !parts.contains("contenders");
            if (!parts.contains("contenders") && !memoryOnly || !only.isBlank() && !List.of(only.split(",")).contains(c.name())) {
                r.notRun("left out by -Dbench.parts / -Dbench.contenders");
            } else if (!settings.contenders().contains(c)) {
                r.notRun("left out of the " + settings.name() + " run");
            } else {
                LOG.info("contender {} ({} run)", c, settings.name());
                r = runner.run(c, memoryOnly);
            }
            results.add(r);
        }
        RebalanceFigures rebalance = null;
        String rebalanceProblem = "left out by -Dbench.parts";
        if (parts.contains("rebalance")) {
            try {
                rebalance = new RebalanceRun(settings, work, subnet).run();
                rebalanceProblem = null;
            } catch (Exception e) {
                LOG.warn("rebalance failed", e);
                rebalanceProblem = String.valueOf(e);
            }
        }
        List<ScaleFigures> scale = List.of();
        String scaleProblem = parts.contains("scale") ? null : "left out by -Dbench.parts";
        if (parts.contains("scale")) {
            try {
                scale = new ScaleLauncher(settings, work).run();
            } catch (Exception e) {
                LOG.warn("scale run failed", e);
                scaleProblem = String.valueOf(e);
            }
        }
        List<FarmScaleRun.Point> farmScale = List.of();
        String farmScaleProblem = parts.contains("farmscale") ? null : "left out by -Dbench.parts";
        if (parts.contains("farmscale")) {
            try {
                farmScale = new FarmScaleRun(settings, work, subnet).run();
            } catch (Exception e) {
                LOG.warn("farm scale run failed", e);
                farmScaleProblem = String.valueOf(e);
            }
        }
        return new Outcome(settings, results, rebalance, rebalanceProblem, scale, scaleProblem, farmScale,
                farmScaleProblem, started,
                System.currentTimeMillis(), loadBefore, loadAverage());
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
