package org.sessiongrid.bench.report;

import static org.sessiongrid.bench.report.BenchReport.fmt;

import java.util.List;
import java.util.Optional;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.Ramp;
import org.sessiongrid.bench.measure.WarmupWatch;
import org.sessiongrid.bench.run.ContenderResult;

/**
 * The report's warm-up: each contender's ramp from its first second of sticky load on a fresh farm, and the
 * issue's aim that a SessionGrid node serves at least 80 % of its steady rate within 30 s of load.
 */
final class WarmupSection {

    /** The aim's bound: seconds of load after which the farm must be at 80 % of its steady rate. */
    static final int AIM_SECONDS = 30;

    private WarmupSection() {
    }

    /** The aims table's row for {@code c}. */
    static void aimRow(StringBuilder md, List<ContenderResult> rs, Contender c) {
        Optional<Ramp> ramp = rs.stream().filter(r -> r.contender() == c).map(ContenderResult::ramp)
                .filter(r -> r != null).findFirst();
        String measured;
        String met;
        if (ramp.isEmpty() || ramp.get().perSecond().size() < AIM_SECONDS + Ramp.WINDOW_SECONDS) {
            measured = "not measured (needs a fresh farm, and a warm-up and measured window of at least "
                    + (AIM_SECONDS + Ramp.WINDOW_SECONDS) + " s together: -Dbench.warmupMillis, -Dbench.measureMillis)";
            met = "–";
        } else if (ramp.get().secondsTo80() < 0) {
            measured = "not within the " + ramp.get().perSecond().size() + " s of warm-up and window (steady " + fmt(ramp.get()
                    .steadyThroughput()) + " req/s)";
            met = "**no**";
        } else {
            measured = "after " + ramp.get().secondsTo80() + " s (steady " + fmt(ramp.get().steadyThroughput()) + " req/s)";
            met = ramp.get().secondsTo80() <= AIM_SECONDS ? "yes" : "**no**";
        }
        md.append("| (issue 16) warm-up: ").append(c.label()).append(" serves ≥ 80 % of its steady sticky rate within ")
                .append(AIM_SECONDS).append(" s of load | ").append(measured).append(" | ").append(met).append(" |\n");
    }

    /** The section: how each measured window's warm-up ended, a row per contender with a ramp, and the chart. */
    static void write(StringBuilder md, List<ContenderResult> rs) {
        ends(md, rs);
        List<ContenderResult> with = rs.stream().filter(r -> r.ramp() != null).toList();
        if (with.isEmpty()) {
            return;
        }
        md.append("## Warm-up: the first seconds of sticky load on a fresh farm\n\n")
                .append("Successful requests per second from the first second of load to the end of the measured window ")
                .append("(the contender's first scenario, no other load before it), against the rate of that window. ")
                .append("\"80 % after\" is the ")
                .append("first second from which the next ").append(Ramp.WINDOW_SECONDS)
                .append(" seconds average at least 80 % of that rate.\n\n")
                .append("| contender | steady req/s | 80 % after | req/s in s 0-4 | s 10-14 | s 25-29 |\n")
                .append("|---|---:|---:|---:|---:|---:|\n");
        for (ContenderResult r : with) {
            Ramp ramp = r.ramp();
            md.append("| ").append(r.contender().label()).append(" | ").append(fmt(ramp.steadyThroughput())).append(" | ")
                    .append(ramp.secondsTo80() < 0 ? "not in the warm-up" : ramp.secondsTo80() + " s").append(" | ")
                    .append(average(ramp, 0)).append(" | ").append(average(ramp, 10)).append(" | ")
                    .append(average(ramp, 25)).append(" |\n");
        }
        md.append("\n![warm-up](warmup.png)\n\n");
    }

    /**
     * How long each scenario's warm-up took and why it ended: every measured window starts only after its farm's
     * ramp, or the report says it did not.
     */
    static void ends(StringBuilder md, List<ContenderResult> rs) {
        List<ContenderResult> with = rs.stream().filter(r -> !r.warmups().isEmpty()).toList();
        if (with.isEmpty()) {
            return;
        }
        md.append("## Warm-ups: when each measured window started\n\n")
                .append("Each scenario's load runs until the farm's JIT compiler threads used less than ")
                .append(Math.round(WarmupWatch.QUIET_JIT_SHARE * 100)).append(" % of its CPU over the last ")
                .append(WarmupWatch.WINDOW_MILLIS / 1000).append(" s and its rate rose by at most ")
                .append(Math.round(WarmupWatch.FLAT_RATE_RISE * 100)).append(" % against the ")
                .append(WarmupWatch.WINDOW_MILLIS / 1000).append(" s before (at least -Dbench.warmupMillis, at most ")
                .append("-Dbench.warmupMaxMillis); only then does its measured window start. A window after a warm-up ")
                .append("the maximum ended measured a farm still in its ramp.\n\n")
                .append("| contender | scenario | warm-up | why it ended |\n|---|---|---:|---|\n");
        for (ContenderResult r : with) {
            r.warmups().forEach((scenario, w) -> md.append("| ").append(r.contender().label()).append(" | ")
                    .append(scenario.id()).append(" | ").append(fmt(w.millis() / 1000.0)).append(" s | ").append(w.why())
                    .append(" |\n"));
        }
        md.append('\n');
    }

    private static String average(Ramp ramp, int from) {
        int sum = 0;
        for (int s = from; s < from + Ramp.WINDOW_SECONDS; s++) {
            Integer n = ramp.perSecond().get(s);
            if (n == null) {
                return "–";
            }
            sum += n;
        }
        return fmt(sum / (double) Ramp.WINDOW_SECONDS);
    }
}
