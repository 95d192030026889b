package org.sessiongrid.it.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.sessiongrid.it.check.CheckResult;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;

/**
 * {@code target/fault-report.md}: the checker's table and the facts of every fault test of this run, and
 * (with {@code -Dfaults.pngs=true}, the fault-matrix profile) a PNG timeline per fault next to it:
 * successful and failed requests per second, fault start and end marked.
 */
public final class FaultReport {

    private static final List<String> SECTIONS = new ArrayList<>();

    private FaultReport() {
    }

    public static synchronized void add(String title, String container, CheckResult result, History h) {
        Path report = Path.of(System.getProperty("faults.report", "target/fault-report.md"));
        StringBuilder sb = new StringBuilder(result.table(title + " (" + container + ")"));
        sb.append("\n| fact | value |\n|---|---|\n");
        for (Map.Entry<String, String> f : h.facts().entrySet()) {
            sb.append("| ").append(f.getKey()).append(" | ").append(f.getValue()).append(" |\n");
        }
        sb.append("\nTimeline: ");
        for (History.Mark m : h.marks()) {
            sb.append(String.format("%.1f s %s; ", m.at() / 1000.0, m.label()));
        }
        sb.append('\n');
        if (Boolean.getBoolean("faults.pngs")) {
            String png = slug(title + "-" + container) + ".png";
            timeline(title + " (" + container + ")", h, report.resolveSibling(png));
            sb.append("\n![").append(title).append("](").append(png).append(")\n");
        }
        SECTIONS.add(sb.toString());
        try {
            Files.createDirectories(report.toAbsolutePath().getParent());
            Files.writeString(report, "# SessionGrid fault report\n\nEach section: the checker's verdict on one fault test "
                    + "(violations by kind, then figures), the facts the test collected, and when each fault started "
                    + "and ended (seconds since the test's start).\n\n" + String.join("\n", SECTIONS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String slug(String s) {
        return s.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    /** Throughput and errors per second over the test, a vertical line at every mark. */
    static void timeline(String title, History h, Path png) {
        List<Op> ops = h.ops();
        long last = ops.stream().mapToLong(Op::end).max().orElse(0);
        int seconds = (int) (last / 1000) + 1;
        double[] x = new double[seconds];
        double[] ok = new double[seconds];
        double[] err = new double[seconds];
        for (int i = 0; i < seconds; i++) {
            x[i] = i;
        }
        for (Op o : ops) {
            int s = (int) Math.min(seconds - 1, Math.max(0, o.end() / 1000));
            if (o.ok()) {
                ok[s]++;
            } else {
                err[s]++;
            }
        }
        double top = 1;
        for (int i = 0; i < seconds; i++) {
            top = Math.max(top, Math.max(ok[i], err[i]));
        }
        // The legend lists the marks one per line to the right of the plot: in one row below it, a rolling
        // restart's dozen marks ran off both edges of the picture.
        XYChart chart = new XYChartBuilder().width(1400).height(Math.max(500, 120 + 20 * (h.marks().size() + 2)))
                .title(title).xAxisTitle("seconds since start").yAxisTitle("requests per second").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Vertical);
        chart.addSeries("successful", x, ok).setMarker(SeriesMarkers.NONE);
        chart.addSeries("failed", x, err).setMarker(SeriesMarkers.NONE);
        int i = 0;
        for (History.Mark m : h.marks()) {
            // Numbered: xchart needs unique series names.
            XYSeries line = chart.addSeries(String.format("%d: %.0f s %s", ++i, m.at() / 1000.0, m.label()),
                    new double[] {m.at() / 1000.0, m.at() / 1000.0}, new double[] {0, top});
            line.setMarker(SeriesMarkers.NONE);
        }
        try {
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
