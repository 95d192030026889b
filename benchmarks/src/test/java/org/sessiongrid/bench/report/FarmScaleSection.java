package org.sessiongrid.bench.report;

import static org.sessiongrid.bench.report.BenchReport.fmt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.NodeWindow;
import org.sessiongrid.bench.measure.ThreadCpu;
import org.sessiongrid.bench.run.FarmScaleRun;

/**
 * The report's farm scale: farm CPU per sticky write of SessionGrid and DeltaManager on 3, 6 and 9 nodes, gross
 * (the loaded window's CPU per write) and marginal (less what the same farm spends idle in as long, and without
 * the compiler threads'), each farm's idle cost per node and what its idle threads do, the chart of the lines,
 * where they cross, and issue 16's aims (SessionGrid within ±15 % of its smallest farm's figure; DeltaManager's
 * growing), judged on the marginal figure without the JIT: on one machine the gross figure grows with every
 * node's idle cost, which a farm whose nodes each have their own cores does not pay per write.
 */
final class FarmScaleSection {

    /** SessionGrid's farm CPU per write may differ this much from its smallest farm's. */
    static final double FLAT_BAND = 0.15;

    /** Thread groups shown per contender in the idle breakdown. */
    private static final int IDLE_GROUPS_SHOWN = 5;

    private FarmScaleSection() {
    }

    static void write(StringBuilder md, List<FarmScaleRun.Point> points, String problem, Path dir) throws IOException {
        md.append("## Scale on farms: SessionGrid and DeltaManager on more nodes (separate JVMs)\n\n");
        if (problem != null) {
            md.append("not run: ").append(problem).append("\n\n");
            return;
        }
        md.append("Scenario (a), sticky 1 KiB writes, on farms of each size, one farm at a time, every node a JVM with -Xmx")
                .append(FarmScaleRun.NODE_HEAP).append(" on this machine, then the same farm without load for a window "
                        + "as long. SessionGrid writes three copies whatever the farm's size; DeltaManager sends every write "
                        + "to every other node. All nodes share the machine's cores, so each added node also adds its own "
                        + "idle cost (timers, heartbeats, GC, the JIT) to the loaded window, shared over a throughput that "
                        + "falls as the nodes crowd the cores. *Farm CPU per write* is the loaded window's CPU of all nodes "
                        + "over the writes answered (gross), *of which JIT* its compiler threads' part; *idle per node* is "
                        + "what a node of the idle farm spends per second (10 ms/s is 1 % of a core); *marginal* is the gross "
                        + "figure less the idle farm's CPU per second over the writes per second, and *without JIT* the same "
                        + "with both windows' compiler threads taken out: what a write adds to a farm whose JIT is done. "
                        + "**The aims are judged on the marginal figure without the JIT**; the gross one stays in the table. "
                        + "The warm-up ends when the farm's JIT is quiet and its rate flat, or at its maximum (then the "
                        + "window measured a farm still in its ramp).\n\n");
        md.append("| nodes | contender | req/s | warm-up | farm CPU per write | of which JIT | idle per node "
                + "| marginal per write | without JIT | to its smallest farm |\n");
        md.append("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
        List<Integer> sizes = points.stream().map(FarmScaleRun.Point::nodes).distinct().sorted().toList();
        for (int n : sizes) {
            for (Contender c : FarmScaleRun.CONTENDERS) {
                Optional<FarmScaleRun.Point> p = point(points, n, c);
                md.append("| ").append(n).append(" | ").append(c.label()).append(" | ").append(cells(points, p)).append(" |\n");
            }
        }
        md.append('\n');
        idle(md, points);
        perNode(md, points);
        md.append(crossing(points)).append("\n\n");
        aims(md, points);
        chart(dir.resolve("farm-scale.png"), points);
        md.append("![farm scale](farm-scale.png)\n\n");
    }

    private static Optional<FarmScaleRun.Point> point(List<FarmScaleRun.Point> points, int n, Contender c) {
        return points.stream().filter(p -> p.nodes() == n && p.contender() == c).findFirst();
    }

    /** Gross farm CPU per write in µs; 0 without a figure. */
    static double gross(FarmScaleRun.Point p) {
        return p.sticky() == null || p.sticky().requests() == 0 ? 0 : Math.max(0, p.sticky().farmCpuMicrosPerRequest());
    }

    /** The figure the aims judge: marginal farm CPU per write without the JIT, in µs; 0 without one. */
    static double judged(FarmScaleRun.Point p) {
        return gross(p) == 0 || p.idle() == null ? 0 : Math.max(0, p.idle().marginalWithoutJitMicrosPerRequest(p.sticky()));
    }

    /** The smallest farm's figure of {@code c}, 0 without one. */
    private static double smallest(List<FarmScaleRun.Point> points, Contender c, ToDoubleFunction<FarmScaleRun.Point> f) {
        return points.stream().filter(p -> p.contender() == c && f.applyAsDouble(p) > 0)
                .min(Comparator.comparingInt(FarmScaleRun.Point::nodes)).map(f::applyAsDouble).orElse(0.0);
    }

    private static String cells(List<FarmScaleRun.Point> points, Optional<FarmScaleRun.Point> o) {
        if (o.isEmpty()) {
            return "not run | | | | | | | ";
        }
        FarmScaleRun.Point p = o.get();
        if (gross(p) == 0) {
            return "failed: " + (p.problem() == null ? "no answers in the measured window" : p.problem()) + " | | | | | | | ";
        }
        String warmup = p.warmup() == null ? "–" : p.warmup().brief();
        String jit = p.sticky().jitCpuMicrosPerRequest() < 0 ? "–" : fmt(p.sticky().jitCpuMicrosPerRequest()) + " µs";
        String idle = p.idle() == null || !p.idle().measured() ? "–" : fmt(p.idle().perNodeMillisPerSecond()) + " ms/s"
                + (p.idle().jitCpuNanos() < 0 ? "" : " (" + fmt(p.idle().perNodeMillisPerSecondWithoutJit()) + " without JIT)");
        double marginal = p.idle() == null ? -1 : p.idle().marginalMicrosPerRequest(p.sticky());
        double base = smallest(points, p.contender(), FarmScaleSection::judged);
        return fmt(p.sticky().throughput()) + " | " + warmup + " | " + fmt(gross(p)) + " µs | " + jit + " | " + idle
                + " | " + (marginal < 0 ? "–" : fmt(marginal) + " µs") + " | "
                + (judged(p) > 0 ? fmt(judged(p)) + " µs" : "–") + " | "
                + (judged(p) > 0 && base > 0 ? fmt(judged(p) / base) + "×" : "–");
    }

    /**
     * Which contender's idle nodes cost more (without the compiler threads: a JIT still compiling after the load
     * stopped is the ramp's), and what their threads spend it on.
     */
    private static void idle(StringBuilder md, List<FarmScaleRun.Point> points) {
        double sg = meanIdlePerNode(points, Contender.SESSIONGRID_TOMCAT);
        double delta = meanIdlePerNode(points, Contender.DELTA);
        if (sg <= 0 || delta <= 0) {
            md.append("Idle cost per node: not measured for both contenders.\n\n");
            return;
        }
        md.append("An idle node costs ").append(sg > delta ? "SessionGrid" : "DeltaManager").append(" more: ")
                .append(fmt(sg)).append(" ms/s per SessionGrid node against ").append(fmt(delta))
                .append(" ms/s per DeltaManager node (").append(fmt(sg / delta))
                .append("×, without the compiler threads, the mean over the farm sizes). Where it goes, on the largest "
                        + "farm of each (ms/s per node, threads grouped by their names as the kernel keeps them, 15 "
                        + "characters, numbers as #):\n\n");
        md.append("| contender | nodes | idle threads, the most first |\n|---|---:|---|\n");
        for (Contender c : FarmScaleRun.CONTENDERS) {
            points.stream().filter(p -> p.contender() == c && p.idle() != null && p.idle().measured())
                    .max(Comparator.comparingInt(FarmScaleRun.Point::nodes)).ifPresent(p -> {
                        List<String> groups = new ArrayList<>();
                        for (ThreadCpu.Group g : p.idle().threads().subList(0,
                                Math.min(IDLE_GROUPS_SHOWN, p.idle().threads().size()))) {
                            groups.add("`" + g.name() + "` " + fmt(g.nanos() / 1e6 / (p.idle().windowMillis() / 1000.0)
                                    / p.nodes()));
                        }
                        md.append("| ").append(c.label()).append(" | ").append(p.nodes()).append(" | ")
                                .append(String.join(", ", groups)).append(" |\n");
                    });
        }
        md.append('\n');
    }

    /**
     * Each node of each farm over the loaded window, per write it answered: where the writes went and what each
     * cost in context switches, system calls, messages and remote commits, and whether C2 had compiled its write path.
     */
    private static void perNode(StringBuilder md, List<FarmScaleRun.Point> points) {
        if (points.stream().allMatch(p -> p.perNode().isEmpty())) {
            return;
        }
        md.append("Each node in the loaded window, per write it answered (context switches voluntary + involuntary, "
                + "read + write system calls, threads runnable on average, SessionGrid's messages and bytes sent, "
                + "commits run here as primary, remote commits sent to another primary, the write path's largest "
                + "methods at C2 at the window's end; the threads' CPU by pool):\n\n");
        for (FarmScaleRun.Point p : points) {
            for (NodeWindow w : p.perNode()) {
                md.append("- ").append(p.contender().label()).append(", ").append(p.nodes()).append(" nodes, ")
                        .append(w.line()).append('\n');
            }
        }
        md.append('\n');
    }

    private static double meanIdlePerNode(List<FarmScaleRun.Point> points, Contender c) {
        return points.stream().filter(p -> p.contender() == c && p.idle() != null && p.idle().measured())
                .mapToDouble(p -> p.idle().perNodeMillisPerSecondWithoutJit()).average().orElse(-1);
    }

    /**
     * Where DeltaManager's line crosses SessionGrid's (the judged figures), by linear interpolation between the
     * measured sizes: the farm size from which the one that was dearer becomes the cheaper; or that they do not
     * cross in the range.
     */
    static String crossing(List<FarmScaleRun.Point> points) {
        List<double[]> both = new ArrayList<>(); // nodes, SessionGrid - DeltaManager
        points.stream().map(FarmScaleRun.Point::nodes).distinct().sorted().forEach(n -> {
            Optional<FarmScaleRun.Point> sg = point(points, n, Contender.SESSIONGRID_TOMCAT);
            Optional<FarmScaleRun.Point> delta = point(points, n, Contender.DELTA);
            if (sg.isPresent() && delta.isPresent() && judged(sg.get()) > 0 && judged(delta.get()) > 0) {
                both.add(new double[] {n, judged(sg.get()) - judged(delta.get())});
            }
        });
        if (both.size() < 2) {
            return "Where the lines cross: not measured (both contenders need marginal figures on at least two farm sizes).";
        }
        for (int i = 1; i < both.size(); i++) {
            double[] a = both.get(i - 1);
            double[] b = both.get(i);
            if (a[1] == 0) {
                return "The marginal lines meet at " + (int) a[0] + " nodes.";
            }
            if (Math.signum(a[1]) != Math.signum(b[1])) {
                double at = a[0] + (b[0] - a[0]) * a[1] / (a[1] - b[1]);
                return "The marginal lines cross at about " + fmt(at) + " nodes: from there on "
                        + (a[1] > 0 ? "SessionGrid" : "DeltaManager") + " adds less CPU to the farm per write.";
            }
        }
        double[] last = both.get(both.size() - 1);
        return "The marginal lines do not cross between " + (int) both.get(0)[0] + " and " + (int) last[0] + " nodes: "
                + (last[1] > 0 ? "DeltaManager" : "SessionGrid") + " adds less CPU to the farm per write at every size measured.";
    }

    private static void aims(StringBuilder md, List<FarmScaleRun.Point> points) {
        double sgBase = smallest(points, Contender.SESSIONGRID_TOMCAT, FarmScaleSection::judged);
        List<FarmScaleRun.Point> sg = points.stream().filter(p -> p.contender() == Contender.SESSIONGRID_TOMCAT
                && judged(p) > 0).toList();
        double worst = sg.stream().mapToDouble(p -> Math.abs(judged(p) / sgBase - 1)).max().orElse(-1);
        md.append("| aim (issue 16), on the marginal farm CPU per write without the JIT | measured | met |\n|---|---|---|\n");
        md.append("| SessionGrid's within ±").append((int) (FLAT_BAND * 100))
                .append(" % of its smallest farm's at every size | ")
                .append(sg.size() < 2 ? "not measured" : "largest difference " + fmt(worst * 100) + " %")
                .append(" | ").append(sg.size() < 2 ? "–" : (worst <= FLAT_BAND ? "yes" : "**no**") + inRamp(sg)).append(" |\n");
        List<FarmScaleRun.Point> delta = points.stream().filter(p -> p.contender() == Contender.DELTA && judged(p) > 0)
                .sorted(Comparator.comparingInt(FarmScaleRun.Point::nodes)).toList();
        boolean grows = delta.size() >= 2 && judged(delta.get(delta.size() - 1)) > judged(delta.get(0));
        md.append("| DeltaManager's grows with the farm | ").append(delta.size() < 2 ? "not measured"
                : fmt(judged(delta.get(0))) + " µs on " + delta.get(0).nodes() + " nodes, "
                        + fmt(judged(delta.get(delta.size() - 1))) + " µs on " + delta.get(delta.size() - 1).nodes())
                .append(" | ").append(delta.size() < 2 ? "–" : (grows ? "yes" : "**no**") + inRamp(delta)).append(" |\n\n");
        long ramping = points.stream().filter(p -> p.warmup() != null && !p.warmup().settled()).count();
        if (ramping > 0) {
            md.append(ramping).append(" of the ").append(points.size()).append(" farms were still in their ramp when "
                    + "their warm-up reached its maximum (-Dbench.warmupMaxMillis): their figures include the JIT's "
                    + "ramp beyond what the \"without JIT\" column takes out.\n\n");
        }
    }

    /** A verdict's caveat when one of the farms it rests on was still in its ramp; empty otherwise. */
    private static String inRamp(List<FarmScaleRun.Point> judgedOn) {
        long n = judgedOn.stream().filter(p -> p.warmup() != null && !p.warmup().settled()).count();
        return n == 0 ? "" : " (" + n + " of its " + judgedOn.size() + " farms still in the ramp)";
    }

    private static void chart(Path file, List<FarmScaleRun.Point> points) throws IOException {
        XYChart chart = new XYChartBuilder().width(1100).height(480).title("Farm CPU per sticky write by farm size")
                .xAxisTitle("nodes").yAxisTitle("farm CPU per write (µs)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        for (Contender c : FarmScaleRun.CONTENDERS) {
            series(chart, c.label() + ", marginal (no JIT)", points, c, FarmScaleSection::judged);
            series(chart, c.label() + ", gross", points, c, FarmScaleSection::gross);
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static void series(XYChart chart, String name, List<FarmScaleRun.Point> points, Contender c,
                               ToDoubleFunction<FarmScaleRun.Point> f) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        points.stream().filter(p -> p.contender() == c && f.applyAsDouble(p) > 0)
                .sorted(Comparator.comparingInt(FarmScaleRun.Point::nodes)).forEach(p -> {
                    xs.add((double) p.nodes());
                    ys.add(f.applyAsDouble(p));
                });
        if (!xs.isEmpty()) {
            chart.addSeries(name, xs, ys);
        }
    }
}
