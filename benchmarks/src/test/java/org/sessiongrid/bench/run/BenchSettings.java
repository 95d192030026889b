package org.sessiongrid.bench.run;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.sessiongrid.bench.contender.Contender;

/**
 * How long and how big: the full run of the issue (about 25 minutes on 2 cores) or the smoke run of the
 * default build (seconds per contender, only to prove that the benchmark runs).
 *
 * @param name "full" or "smoke"
 * @param contenders the contenders run (the others are reported as left out)
 * @param nodes nodes per farm
 * @param users concurrent users of the load client (one thread each, no think time)
 * @param warmupMillis the least load before a measured window (JIT, connection pools, sessions created): the
 *        warm-up goes on until the farm's JIT is quiet and its rate flat ({@link org.sessiongrid.bench.measure.WarmupWatch})
 * @param warmupMaxMillis the most: a warm-up this long ends even if the farm is still in its ramp (the report
 *        says so)
 * @param measureMillis measured load per scenario
 * @param scenarios the scenarios SessionGrid runs
 * @param everyContenderScenarios those of them the other contenders run too
 * @param failoverContenders contenders whose failover is measured
 * @param failoverObserveMillis load after the kill -9 (the minimum, when every user is served again sooner)
 * @param failoverMaxMillis at most this long after the kill
 * @param memoryContenders contenders whose heap per 10,000 sessions is measured
 * @param memorySessions sessions created for the memory figure (scaled to 10,000 in the report)
 * @param rebalanceSessions sessions the 3-node SessionGrid holds when the 4th joins
 * @param scaleSizes member counts of the in-JVM scale run
 * @param scaleWrites writes measured per member count
 * @param nodeHeap -Xmx of every contender node
 * @param nodeJvmArgs further flags of every contender node (the smoke run's make its short-lived nodes cheaper to
 *        start; the full run has none, so that its figures are those of a default JVM)
 * @param convergenceGraceMillis for the asynchronous contenders, the convergence reads on every node start
 *        this long after the load stopped: Tomcat's managers replicate asynchronously, and a read a few
 *        milliseconds after the last acknowledged write would count as lost what is only late; a copy later
 *        than that is reported as lost. SessionGrid's reads start at once.
 */
public record BenchSettings(String name, Set<Contender> contenders, int nodes, int users, long warmupMillis,
                            long warmupMaxMillis, long measureMillis, List<Scenario> scenarios, List<Scenario> everyContenderScenarios, Set<Contender> failoverContenders, long failoverObserveMillis,
                            long failoverMaxMillis, Set<Contender> memoryContenders, int memorySessions,
                            int rebalanceSessions, List<Integer> scaleSizes, int scaleWrites, String nodeHeap,
                            List<String> nodeJvmArgs, long convergenceGraceMillis) {

    /** Member counts of the full scale run, those of issue 8 ({@code -Dbench.scaleSizes=3,8} picks others). */
    static final List<Integer> FULL_SCALE_SIZES = List.of(3, 8, 16, 32, 64, 128);

    /** The run: every contender, every scenario, 100,000 sessions for the rebalance, 3 to 128 members. */
    public static BenchSettings full() {
        return new BenchSettings("full", EnumSet.allOf(Contender.class), 3, 64, 5_000, 180_000, 15_000, Scenario.all(), Scenario.all(),
                EnumSet.allOf(Contender.class), 15_000, 30_000, EnumSet.allOf(Contender.class), 10_000, 100_000,
                FULL_SCALE_SIZES, 2_000, "1g", List.of(), 1_000);
    }

    /**
     * Seconds per contender (a second of load per scenario after 0.3 s of warm-up, its maximum its minimum), on
     * farms of two nodes, the fewest that replicate, fail over and serve a user on a node that is not the session's
     * (starting the JVMs is most of a contender's smoke run): scenario (a) for everyone, (c) for SessionGrid, the
     * failover, memory and scale parts with small counts for SessionGrid on Tomcat only (no rebalance: see
     * {@link #defaultParts()}); enough to prove every contender starts, serves and is judged, and that the report is
     * written. Every contender but
     * Hazelcast: its members took 30 s to 90 s to form a cluster on a busy 2-core machine (a TCP-IP join waits
     * for the others by design), more than the rest of a contender's smoke run; the full run has them.
     */
    public static BenchSettings smoke() {
        return new BenchSettings("smoke",
                EnumSet.complementOf(EnumSet.of(Contender.HAZELCAST, Contender.HAZELCAST_STICKY)), 2, 16, 300, 300, 1_000, List.of(Scenario.STICKY_WRITES, Scenario.ROUND_ROBIN_WRITES),
                List.of(Scenario.STICKY_WRITES), EnumSet.of(Contender.SESSIONGRID_TOMCAT), 1_000, 15_000,
                EnumSet.of(Contender.SESSIONGRID_TOMCAT), 300, 300, List.of(3), 100, "512m", SMOKE_NODE_JVM_ARGS, 300);
    }

    /**
     * The smoke run's node flags: its nodes live a few seconds, most of it starting, so C1 alone compiles (no C2
     * threads competing with the starting nodes for the CI machine's two cores). Its figures are not read.
     */
    static final List<String> SMOKE_NODE_JVM_ARGS = List.of("-XX:TieredStopAtLevel=1");

    /**
     * The parts run unless {@code -Dbench.parts} says otherwise: all of them in the full run; the smoke run leaves
     * the rebalance out (starting a fourth node and waiting for the topology takes half a minute, more than the
     * rest of SessionGrid's smoke run together) and the farm scale part (six farms of up to nine JVMs).
     */
    public String defaultParts() {
        return name.equals("full") ? "contenders,rebalance,scale,farmscale" : "contenders,scale";
    }

    /**
     * These settings for one farm of the farm scale part: {@code nodes} nodes with {@code heap}, sticky writes
     * only, no memory or failover part.
     */
    public BenchSettings stickyWritesOn(int nodes, String heap) {
        List<Scenario> sticky = List.of(Scenario.STICKY_WRITES);
        return new BenchSettings(name, contenders, nodes, users, warmupMillis, warmupMaxMillis, measureMillis, sticky, sticky,
                EnumSet.noneOf(Contender.class), failoverObserveMillis, failoverMaxMillis, EnumSet.noneOf(Contender.class),
                memorySessions, rebalanceSessions, scaleSizes, scaleWrites, heap, nodeJvmArgs, convergenceGraceMillis);
    }

    /** These settings with a warm-up of at most {@code millis}. */
    public BenchSettings withWarmupMaxMillis(long millis) {
        return new BenchSettings(name, contenders, nodes, users, warmupMillis, millis, measureMillis, scenarios,
                everyContenderScenarios, failoverContenders, failoverObserveMillis, failoverMaxMillis, memoryContenders,
                memorySessions, rebalanceSessions, scaleSizes, scaleWrites, nodeHeap, nodeJvmArgs, convergenceGraceMillis);
    }

    /**
     * From the {@code bench.profile} system property ("full" or "smoke", default smoke), then the overrides
     * for a focused comparison: {@code -Dbench.scaleSizes=3,8}, {@code -Dbench.scenarios=a} (scenario ids: every
     * contender runs them and nothing else, no memory or failover part), {@code -Dbench.warmupMillis=60000} (the least warm-up),
     * {@code -Dbench.warmupMaxMillis=180000} (the most), {@code -Dbench.measureMillis=30000}.
     */
    public static BenchSettings fromSystemProperties() {
        BenchSettings s = "full".equals(System.getProperty("bench.profile")) ? full() : smoke();
        String scenarios = System.getProperty("bench.scenarios", "");
        long warmup = Long.getLong("bench.warmupMillis", s.warmupMillis());
        long warmupMax = Long.getLong("bench.warmupMaxMillis", s.warmupMaxMillis());
        long measure = Long.getLong("bench.measureMillis", s.measureMillis());
        if (!scenarios.isBlank() || warmup != s.warmupMillis() || warmupMax != s.warmupMaxMillis()
                || measure != s.measureMillis()) {
            List<String> ids = java.util.Arrays.stream(scenarios.split(",")).map(String::trim).toList();
            List<Scenario> picked = scenarios.isBlank() ? s.scenarios()
                    : Scenario.all().stream().filter(x -> ids.contains(x.id())).toList();
            s = new BenchSettings(s.name(), s.contenders(), s.nodes(), s.users(), warmup, warmupMax, measure, picked,
                    scenarios.isBlank() ? s.everyContenderScenarios() : picked,
                    scenarios.isBlank() ? s.failoverContenders() : EnumSet.noneOf(Contender.class),
                    s.failoverObserveMillis(), s.failoverMaxMillis(),
                    scenarios.isBlank() ? s.memoryContenders() : EnumSet.noneOf(Contender.class), s.memorySessions(),
                    s.rebalanceSessions(), s.scaleSizes(), s.scaleWrites(), s.nodeHeap(), s.nodeJvmArgs(), s.convergenceGraceMillis());
        }
        String sizes = System.getProperty("bench.scaleSizes", "");
        if (!sizes.isBlank()) {
            s = new BenchSettings(s.name(), s.contenders(), s.nodes(), s.users(), s.warmupMillis(), s.warmupMaxMillis(),
                    s.measureMillis(), s.scenarios(),
                    s.everyContenderScenarios(), s.failoverContenders(), s.failoverObserveMillis(), s.failoverMaxMillis(),
                    s.memoryContenders(), s.memorySessions(), s.rebalanceSessions(),
                    java.util.Arrays.stream(sizes.split(",")).map(String::trim).map(Integer::valueOf).toList(),
                    s.scaleWrites(), s.nodeHeap(), s.nodeJvmArgs(), s.convergenceGraceMillis());
        }
        return s;
    }
}
