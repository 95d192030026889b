package org.sessiongrid.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.sessiongrid.bench.measure.FailoverFigures;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.measure.Ramp;
import org.sessiongrid.bench.run.ContenderResult;
import org.sessiongrid.bench.run.Scenario;

/** The report's PNG charts, drawn with XChart. */
final class Charts {

    private Charts() {
    }

    /** One bar per contender per scenario of {@code figure}. */
    static void bars(Path file, String title, String yTitle, List<Scenario> scenarios, List<ContenderResult> results,
                     ToDoubleFunction<LoadFigures> figure) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(520).title(title).xAxisTitle("scenario")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        List<String> xs = scenarios.stream().map(Scenario::id).toList();
        for (ContenderResult r : results) {
            if (r.scenarios().isEmpty()) {
                continue;
            }
            List<Double> ys = new ArrayList<>();
            for (Scenario s : scenarios) {
                LoadFigures f = r.scenarios().get(s);
                ys.add(f == null ? 0.0 : figure.applyAsDouble(f));
            }
            chart.addSeries(r.contender().label(), xs, ys);
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** Successful requests per second around the kill -9, one line per contender, the kill at 0. */
    static void failover(Path file, List<ContenderResult> results) throws IOException {
        XYChart chart = new XYChartBuilder().width(1100).height(520).title("Failover: kill -9 of one node under sticky load")
                .xAxisTitle("seconds since the kill").yAxisTitle("successful requests / s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setMarkerSize(0);
        for (ContenderResult r : results) {
            FailoverFigures f = r.failover();
            if (f == null || f.timeline().isEmpty()) {
                continue;
            }
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Map.Entry<Long, Integer> e : f.timeline().entrySet()) {
                xs.add((e.getKey() - f.killedAt()) / 1000.0);
                ys.add(e.getValue() * 1000.0 / FailoverFigures.BUCKET_MILLIS);
            }
            chart.addSeries(r.contender().label(), xs, ys);
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** Successful requests per second from the first second of load on a fresh farm, one line per contender. */
    static void warmup(Path file, List<ContenderResult> results) throws IOException {
        XYChart chart = new XYChartBuilder().width(1100).height(520).title("Warm-up: sticky writes on a fresh farm")
                .xAxisTitle("seconds of load").yAxisTitle("successful requests / s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setMarkerSize(0);
        for (ContenderResult r : results) {
            Ramp ramp = r.ramp();
            if (ramp == null || ramp.perSecond().isEmpty()) {
                continue;
            }
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            new java.util.TreeMap<>(ramp.perSecond()).forEach((second, n) -> {
                xs.add((double) second);
                ys.add((double) n);
            });
            chart.addSeries(r.contender().label(), xs, ys);
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
