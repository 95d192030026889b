package org.sessiongrid.bench.report;

import static org.sessiongrid.bench.report.BenchReport.fmt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.run.FarmScaleRun;

/**
 * The report's farm scale: farm CPU per sticky write of SessionGrid and DeltaManager on 3, 6 and 9 nodes, the
 * chart of both lines, where they cross, and issue 16's aims (SessionGrid within ±15 % of its smallest farm's
 * figure; DeltaManager's growing).
 */
final class FarmScaleSection {

    /** SessionGrid's farm CPU per write may differ this much from its smallest farm's. */
    static final double FLAT_BAND = 0.15;

    private FarmScaleSection() {
    }

    static void write(StringBuilder md, List<FarmScaleRun.Point> points, String problem, Path dir) throws IOException {
        md.append("## Scale on farms: SessionGrid and DeltaManager on more nodes (separate JVMs)\n\n");
        if (problem != null) {
            md.append("not run: ").append(problem).append("\n\n");
            return;
        }
        md.append("Scenario (a), sticky 1 KiB writes, on farms of each size, one farm at a time, every node a JVM with -Xmx")
                .append(FarmScaleRun.NODE_HEAP).append(" on this machine. SessionGrid writes three copies whatever the "
                        + "farm's size; DeltaManager sends every write to every other node. All nodes share the machine's "
                        + "cores, so each added node also adds its own idle cost (timers, GC, the JIT) to every farm.\n\n");
        md.append("| nodes | SessionGrid req/s | SessionGrid farm CPU per write | to its smallest farm | DeltaManager req/s "
                + "| DeltaManager farm CPU per write | to its smallest farm | SessionGrid / DeltaManager CPU |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<Integer> sizes = points.stream().map(FarmScaleRun.Point::nodes).distinct().sorted().toList();
        for (int n : sizes) {
            Optional<FarmScaleRun.Point> sg = point(points, n, Contender.SESSIONGRID_TOMCAT);
            Optional<FarmScaleRun.Point> delta = point(points, n, Contender.DELTA);
            md.append("| ").append(n).append(" | ").append(cells(points, sg)).append(" | ").append(cells(points, delta))
                    .append(" | ").append(sg.isPresent() && delta.isPresent() && cpu(sg.get()) > 0 && cpu(delta.get()) > 0
                            ? fmt(cpu(sg.get()) / cpu(delta.get())) + "×" : "–").append(" |\n");
        }
        md.append('\n');
        md.append(crossing(points)).append("\n\n");
        aims(md, points);
        chart(dir.resolve("farm-scale.png"), points);
        md.append("![farm scale](farm-scale.png)\n\n");
    }

    private static Optional<FarmScaleRun.Point> point(List<FarmScaleRun.Point> points, int n, Contender c) {
        return points.stream().filter(p -> p.nodes() == n && p.contender() == c).findFirst();
    }

    /** Farm CPU per write in µs; 0 without a figure. */
    private static double cpu(FarmScaleRun.Point p) {
        return p.sticky() == null || p.sticky().requests() == 0 ? 0 : Math.max(0, p.sticky().farmCpuMicrosPerRequest());
    }

    /** The smallest farm's figure of {@code c}, 0 without one. */
    private static double smallest(List<FarmScaleRun.Point> points, Contender c) {
        return points.stream().filter(p -> p.contender() == c && cpu(p) > 0)
                .min(java.util.Comparator.comparingInt(FarmScaleRun.Point::nodes)).map(FarmScaleSection::cpu).orElse(0.0);
    }

    private static String cells(List<FarmScaleRun.Point> points, Optional<FarmScaleRun.Point> p) {
        if (p.isEmpty()) {
            return "not run | | ";
        }
        if (cpu(p.get()) == 0) {
            return "failed: " + (p.get().problem() == null ? "no answers in the measured window" : p.get().problem())
                    + " | | ";
        }
        double base = smallest(points, p.get().contender());
        return fmt(p.get().sticky().throughput()) + " | " + fmt(cpu(p.get())) + " µs | " + fmt(cpu(p.get()) / base) + "×";
    }

    /**
     * Where DeltaManager's line crosses SessionGrid's, by linear interpolation between the measured sizes: the
     * farm size from which the one that was dearer becomes the cheaper; or that they do not cross in the range.
     */
    static String crossing(List<FarmScaleRun.Point> points) {
        List<double[]> both = new ArrayList<>(); // nodes, SessionGrid - DeltaManager
        points.stream().map(FarmScaleRun.Point::nodes).distinct().sorted().forEach(n -> {
            Optional<FarmScaleRun.Point> sg = point(points, n, Contender.SESSIONGRID_TOMCAT);
            Optional<FarmScaleRun.Point> delta = point(points, n, Contender.DELTA);
            if (sg.isPresent() && delta.isPresent() && cpu(sg.get()) > 0 && cpu(delta.get()) > 0) {
                both.add(new double[] {n, cpu(sg.get()) - cpu(delta.get())});
            }
        });
        if (both.size() < 2) {
            return "Where the lines cross: not measured (both contenders need figures on at least two farm sizes).";
        }
        for (int i = 1; i < both.size(); i++) {
            double[] a = both.get(i - 1);
            double[] b = both.get(i);
            if (a[1] == 0) {
                return "The lines meet at " + (int) a[0] + " nodes.";
            }
            if (Math.signum(a[1]) != Math.signum(b[1])) {
                double at = a[0] + (b[0] - a[0]) * a[1] / (a[1] - b[1]);
                return "The lines cross at about " + fmt(at) + " nodes: from there on "
                        + (a[1] > 0 ? "SessionGrid" : "DeltaManager") + " costs the farm less per write.";
            }
        }
        double[] last = both.get(both.size() - 1);
        return "The lines do not cross between " + (int) both.get(0)[0] + " and " + (int) last[0] + " nodes: "
                + (last[1] > 0 ? "DeltaManager" : "SessionGrid") + " costs the farm less per write at every size measured.";
    }

    private static void aims(StringBuilder md, List<FarmScaleRun.Point> points) {
        double sgBase = smallest(points, Contender.SESSIONGRID_TOMCAT);
        List<FarmScaleRun.Point> sg = points.stream().filter(p -> p.contender() == Contender.SESSIONGRID_TOMCAT
                && cpu(p) > 0).toList();
        double worst = sg.stream().mapToDouble(p -> Math.abs(cpu(p) / sgBase - 1)).max().orElse(-1);
        md.append("| aim (issue 16) | measured | met |\n|---|---|---|\n");
        md.append("| SessionGrid's farm CPU per write within ±").append((int) (FLAT_BAND * 100))
                .append(" % of its smallest farm's at every size | ")
                .append(sg.size() < 2 ? "not measured" : "largest difference " + fmt(worst * 100) + " %")
                .append(" | ").append(sg.size() < 2 ? "–" : worst <= FLAT_BAND ? "yes" : "**no**").append(" |\n");
        List<FarmScaleRun.Point> delta = points.stream().filter(p -> p.contender() == Contender.DELTA && cpu(p) > 0)
                .sorted(java.util.Comparator.comparingInt(FarmScaleRun.Point::nodes)).toList();
        boolean grows = delta.size() >= 2 && cpu(delta.get(delta.size() - 1)) > cpu(delta.get(0));
        md.append("| DeltaManager's grows with the farm | ").append(delta.size() < 2 ? "not measured"
                : fmt(cpu(delta.get(0))) + " µs on " + delta.get(0).nodes() + " nodes, " + fmt(cpu(delta.get(delta.size() - 1)))
                        + " µs on " + delta.get(delta.size() - 1).nodes()).append(" | ")
                .append(delta.size() < 2 ? "–" : grows ? "yes" : "**no**").append(" |\n\n");
    }

    private static void chart(Path file, List<FarmScaleRun.Point> points) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(480).title("Farm CPU per sticky write by farm size")
                .xAxisTitle("nodes").yAxisTitle("farm CPU per write (µs)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        for (Contender c : FarmScaleRun.CONTENDERS) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            points.stream().filter(p -> p.contender() == c && cpu(p) > 0)
                    .sorted(java.util.Comparator.comparingInt(FarmScaleRun.Point::nodes)).forEach(p -> {
                        xs.add((double) p.nodes());
                        ys.add(cpu(p));
                    });
            if (!xs.isEmpty()) {
                chart.addSeries(c.label(), xs, ys);
            }
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
