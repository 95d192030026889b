package org.sessiongrid.bench.report;

import static org.sessiongrid.bench.report.BenchReport.fmt;

import java.util.List;
import java.util.Optional;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.run.ContenderResult;
import org.sessiongrid.bench.run.Scenario;

/**
 * The aims of issue 16 against the peers, Hazelcast and Redisson. Against a peer with the same guarantees,
 * Hazelcast's session filter with {@code sticky-session=false} (any node serves the current session; its default
 * {@code sticky-session=true} does not, so it is no yardstick for them), SessionGrid stays at least 2× ahead on
 * sticky throughput and on farm CPU per sticky write, and serves round-robin at least as fast with zero
 * violations. Against Redisson's Tomcat manager over redis-server it serves round-robin at least 5× as fast,
 * again with zero violations of its own.
 */
final class PeersSection {

    /** The peer of the aims. */
    static final Contender PEER = Contender.HAZELCAST;
    /** How far ahead on sticky writes: throughput at least this many times the peer's, farm CPU at most its inverse. */
    static final double STICKY_LEAD = 2.0;
    /** Round-robin throughput at least this many times the peer's, with zero violations. */
    static final double ROUND_ROBIN_RATIO = 1.0;
    /** The other peer, judged on round-robin throughput alone. */
    static final Contender REDISSON = Contender.REDISSON;
    /** Round-robin throughput at least this many times Redisson's, with zero violations. */
    static final double REDISSON_ROUND_ROBIN_RATIO = 5.0;

    private PeersSection() {
    }

    /** The aims table's rows for {@code sg} against {@link #PEER} and {@link #REDISSON}. */
    static void aimRows(StringBuilder md, List<ContenderResult> rs, Contender sg) {
        Optional<LoadFigures> mine = answered(BenchReport.figure(rs, sg, Scenario.STICKY_WRITES));
        Optional<LoadFigures> peer = answered(BenchReport.figure(rs, PEER, Scenario.STICKY_WRITES));
        boolean both = mine.isPresent() && peer.isPresent();
        double ratio = both ? mine.get().throughput() / peer.get().throughput() : 0;
        row(md, "(a) sticky writes ≥ " + fmt(STICKY_LEAD) + "× " + PEER.label(), both
                ? fmt(ratio) + "× (" + fmt(mine.get().throughput()) + " vs " + fmt(peer.get().throughput()) + " req/s)"
                : notMeasured(rs, sg, PEER, Scenario.STICKY_WRITES), both ? ratio >= STICKY_LEAD : null);

        boolean cpu = both && mine.get().farmCpuMicrosPerRequest() > 0 && peer.get().farmCpuMicrosPerRequest() > 0;
        double cpuRatio = cpu ? mine.get().farmCpuMicrosPerRequest() / peer.get().farmCpuMicrosPerRequest() : 0;
        row(md, "(a) farm CPU per sticky write ≤ " + fmt(1 / STICKY_LEAD) + "× " + PEER.label() + "'s", cpu
                ? fmt(cpuRatio) + "× (" + fmt(mine.get().farmCpuMicrosPerRequest()) + " vs "
                        + fmt(peer.get().farmCpuMicrosPerRequest()) + " µs)"
                : both ? "not measured: no farm CPU figure" : notMeasured(rs, sg, PEER, Scenario.STICKY_WRITES),
                cpu ? cpuRatio <= 1 / STICKY_LEAD : null);

        roundRobinRow(md, rs, sg, PEER, ROUND_ROBIN_RATIO);
        roundRobinRow(md, rs, sg, REDISSON, REDISSON_ROUND_ROBIN_RATIO);
    }

    /**
     * Round-robin throughput at least {@code want} times {@code peer}'s, met only with zero violations of
     * SessionGrid's own: the peer's violations are shown, not judged.
     */
    private static void roundRobinRow(StringBuilder md, List<ContenderResult> rs, Contender sg, Contender peer,
            double want) {
        Optional<LoadFigures> mine = answered(BenchReport.figure(rs, sg, Scenario.ROUND_ROBIN_WRITES));
        Optional<LoadFigures> other = answered(BenchReport.figure(rs, peer, Scenario.ROUND_ROBIN_WRITES));
        boolean both = mine.isPresent() && other.isPresent();
        double ratio = both ? mine.get().throughput() / other.get().throughput() : 0;
        row(md, "(c) round-robin with 0 violations ≥ " + fmt(want) + "× " + peer.label(), both
                ? fmt(ratio) + "× (" + fmt(mine.get().throughput()) + " vs " + fmt(other.get().throughput())
                        + " req/s; violations " + mine.get().violations() + " vs " + other.get().violations() + ")"
                : notMeasured(rs, sg, peer, Scenario.ROUND_ROBIN_WRITES),
                both ? ratio >= want && mine.get().correct() : null);
    }

    /** A figure with answered requests in its window: one without is no evidence either way. */
    private static Optional<LoadFigures> answered(Optional<LoadFigures> f) {
        return f.filter(x -> x.requests() > 0 && x.throughput() > 0);
    }

    private static String notMeasured(List<ContenderResult> rs, Contender a, Contender b, Scenario s) {
        for (Contender c : List.of(a, b)) {
            Optional<LoadFigures> f = BenchReport.figure(rs, c, s);
            if (f.isPresent() && f.get().requests() == 0) {
                return "not measured: " + c.label() + " answered no request in its measured window";
            }
        }
        return "not measured";
    }

    private static void row(StringBuilder md, String aim, String measured, Boolean met) {
        md.append("| (issue 16) ").append(aim).append(" | ").append(measured).append(" | ")
                .append(met == null ? "–" : met ? "yes" : "**no**").append(" |\n");
    }
}
