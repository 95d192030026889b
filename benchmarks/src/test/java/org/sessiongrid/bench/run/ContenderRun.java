package org.sessiongrid.bench.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.contender.RedisServer;
import org.sessiongrid.bench.farm.LoopbackFarm;
import org.sessiongrid.bench.farm.NodeJars;
import org.sessiongrid.bench.measure.FailoverFigures;
import org.sessiongrid.bench.measure.HeapHistogram;
import org.sessiongrid.bench.measure.HeapProbe;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.measure.MemoryFigures;
import org.sessiongrid.bench.measure.NodeWindow;
import org.sessiongrid.bench.measure.Ramp;
import org.sessiongrid.bench.measure.Warmup;
import org.sessiongrid.bench.measure.WarmupWatch;
import org.sessiongrid.it.check.CheckResult;
import org.sessiongrid.it.check.Checker;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.HttpExchange;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.it.load.Op;
import org.sessiongrid.it.load.SocketExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One contender from start to stop on one farm: memory (on the fresh farm), then every scenario, then the
 * failover (which kills a node, so it comes last). A part that fails is recorded and the next one runs; a
 * contender that cannot start (redis-server missing) is recorded as not run.
 */
public final class ContenderRun {

    private static final Logger LOG = LoggerFactory.getLogger(ContenderRun.class);
    /** How long a farm may take to start ({@code -Dbench.startTimeoutMillis}: a loaded machine needs longer). */
    static final long START_TIMEOUT_MILLIS = Long.getLong("bench.startTimeoutMillis", 120_000);
    /** Between two readings of the nodes' compiled code in a warm-up that waits for C2 ({@code jcmd} per node). */
    static final long COMPILED_CHECK_MILLIS = 10_000;
    /** How often a warm-up reads the farm's counters. */
    static final long WARMUP_SAMPLE_MILLIS = 1_000;

    private final BenchSettings settings;
    private final Path work;
    private final String subnet;

    public ContenderRun(BenchSettings settings, Path work, String subnet) {
        this.settings = settings;
        this.work = work;
        this.subnet = subnet;
    }

    public ContenderResult run(Contender c) throws InterruptedException {
        return run(c, false);
    }

    /**
     * Runs {@code c}; with {@code memoryOnly} only its memory part (on a fresh farm), whether or not the settings
     * name it among the memory contenders ({@code -Dbench.parts=memory}).
     */
    public ContenderResult run(Contender c, boolean memoryOnly) throws InterruptedException {
        ContenderResult result = new ContenderResult(c);
        RedisServer redis = null;
        LoopbackFarm farm = null;
        try {
            if (c == Contender.REDISSON) {
                if (RedisServer.binary() == null) {
                    result.notRun("redis-server is not installed (Debian package redis-server; .ci/run installs it)");
                    return result;
                }
                redis = RedisServer.start(subnet + ".200", work);
            }
            farm = new LoopbackFarm(c, settings.nodes(), work, subnet,
                    redis == null ? null : redis.redissonConfig().toAbsolutePath().toString(), settings.nodeHeap(),
                    settings.nodeJvmArgs());
            long t0 = System.nanoTime();
            farm.startAll(settings.nodes(), START_TIMEOUT_MILLIS);
            LOG.info("{}: {} nodes ready in {} ms", c, settings.nodes(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            if (memoryOnly || settings.memoryContenders().contains(c)) {
                try {
                    result.memory(memory(farm, redis));
                } catch (Exception e) {
                    LOG.warn("{}: memory failed", c, e);
                    result.problems().put("memory", String.valueOf(e));
                }
                if (memoryOnly) {
                    return result;
                }
            }
            // The ramp is the first load on a fresh farm: only when nothing (the memory part) ran before it.
            boolean fresh = !settings.memoryContenders().contains(c);
            for (Scenario s : settings.scenarios()) {
                if (!c.isSessionGrid() && !settings.everyContenderScenarios().contains(s)) {
                    continue;
                }
                try {
                    load(farm, s, redis, result, fresh && s.equals(Scenario.STICKY_WRITES));
                    fresh = false;
                } catch (Exception e) {
                    LOG.warn("{}: scenario {} failed", c, s.id(), e);
                    result.problems().put(s.id(), String.valueOf(e));
                }
            }
            LoadFigures sticky = result.scenarios().get(Scenario.STICKY_WRITES);
            if (c == Contender.STANDARD && sticky != null) {
                try {
                    result.clientCeiling(BareLoad.measure(farm, settings.users(), Scenario.STICKY_WRITES.payloadBytes(),
                            settings.warmupMillis(), settings.measureMillis(), sticky));
                    LOG.info("{} client ceiling: {}", c, result.clientCeiling());
                } catch (Exception e) {
                    LOG.warn("{}: client ceiling failed", c, e);
                    result.problems().put("client ceiling", String.valueOf(e));
                }
            }
            if (settings.failoverContenders().contains(c)) {
                try {
                    result.failover(failover(farm));
                    LOG.info("{} failover: {}", c, result.failover());
                } catch (Exception e) {
                    LOG.warn("{}: failover failed", c, e);
                    result.problems().put("failover", String.valueOf(e));
                }
            }
        } catch (Exception e) {
            LOG.warn("{} could not run", c, e);
            result.notRun(String.valueOf(e).lines().findFirst().orElse("failed"));
        } finally {
            if (farm != null) {
                farm.close();
            }
            if (redis != null) {
                redis.close();
            }
        }
        return result;
    }

    private LoadClient client(History h, LoadClient.Mode mode, int users, LoopbackFarm farm, HttpExchange exchange) {
        // One thread per user, no think time, no invalidations, no short-lived sessions: a closed loop of
        // `users` concurrent browsers. Requests time out after 10 s (a failover waits at most that long).
        LoadClient.Settings s = new LoadClient.Settings(users, users, 0, 0, 0, 4, Duration.ofSeconds(10));
        return loadClient(h, mode, s, farm, exchange);
    }

    /**
     * A load client on the lean socket client ({@link SocketExchange}): the benchmarks measure the farm,
     * and {@code java.net.http} costs about what a node's request costs.
     */
    static LoadClient loadClient(History h, LoadClient.Mode mode, LoadClient.Settings s, LoopbackFarm farm) {
        return loadClient(h, mode, s, farm, new SocketExchange());
    }

    private static LoadClient loadClient(History h, LoadClient.Mode mode, LoadClient.Settings s, LoopbackFarm farm,
                                         HttpExchange exchange) {
        LoadClient client = new LoadClient(h, mode, s, farm::targets).exchange(exchange)
                .sessionCookie(farm.contender().sessionCookie());
        // The fault matrix's request ids: the checker then names a late-run request or a lost acknowledged one
        // (a few bytes more per session and request, so off unless asked for).
        return Boolean.getBoolean("bench.identifyRequests") ? client.identifyRequests() : client;
    }

    /**
     * Runs scenario {@code s} and puts its figures and how its warm-up ended into {@code into}; with
     * {@code ramp}, the warm-up and the window are also recorded as the contender's ramp (a fresh farm's).
     */
    void load(LoopbackFarm farm, Scenario s, RedisServer redis, ContenderResult into, boolean ramp)
            throws InterruptedException {
        load(farm, s, redis, into, ramp, null);
    }

    /**
     * As {@link #load(LoopbackFarm, Scenario, RedisServer, ContenderResult, boolean)}; with {@code perNode}, each
     * node's counts over the measured window ({@link LoadedWindow}) are read into it as well.
     */
    void load(LoopbackFarm farm, Scenario s, RedisServer redis, ContenderResult into, boolean ramp,
              List<NodeWindow> perNode) throws InterruptedException {
        History h = new History();
        CountingExchange answers = new CountingExchange(new SocketExchange());
        LoadClient load = client(h, s.mode(), settings.users(), farm, answers).workload(s.readRate(), s.payloadBytes());
        long loadStart = h.now();
        load.start();
        Warmup warmup = warmUp(farm, redis, answers, h, loadStart, perNode != null);
        LOG.info("{} {}: warm-up {} ms: {}", farm.contender(), s.id(), warmup.millis(), warmup.why());
        long from = h.now();
        long to = from + settings.measureMillis();
        long farm0 = farmCpuNanos(farm, redis);
        long jit0 = farm.jitCpuNanos();
        long client0 = LoopbackFarm.cpuNanos(ProcessHandle.current().pid());
        LoadedWindow window = perNode == null ? null : new LoadedWindow(farm, h);
        if (window != null) {
            window.start();
            window.sampleUntil(to);
        } else {
            // A fixed-length window: the wait is the measurement itself.
            Thread.sleep(Math.max(0, to - h.now()));
        }
        long farm1 = farmCpuNanos(farm, redis);
        long jit1 = farm.jitCpuNanos();
        long client1 = LoopbackFarm.cpuNanos(ProcessHandle.current().pid());
        if (window != null) {
            perNode.addAll(window.withTiers(window.end()));
        }
        load.close();
        awaitConvergenceGrace(farm);
        load.readEverywhere(farm.targets());
        CheckResult check = new Checker().checkExpiry(false).check(h);
        logViolations(farm.contender() + " " + s.id(), check);
        LoadFigures figures = LoadFigures.of(h, from, to, check, farm0 < 0 || farm1 < 0 ? -1 : farm1 - farm0,
                client0 < 0 || client1 < 0 ? -1 : client1 - client0, jit0 < 0 || jit1 < 0 ? -1 : jit1 - jit0);
        into.scenarios().put(s, figures);
        into.warmups().put(s, warmup);
        LOG.info("{} {}: {}", farm.contender(), s.id(), figures);
        if (ramp) {
            into.ramp(Ramp.of(h, loadStart, to - loadStart, figures.throughput()));
        }
    }

    /**
     * Keeps the load on until the farm has finished its ramp ({@link WarmupWatch}: its JIT quiet, its rate flat),
     * at least {@code warmupMillis}, at most {@code warmupMaxMillis}, reading the farm's counters every second.
     * With {@code untilCompiled}, also until C2 has compiled every node's write path
     * ({@link LoadedWindow#compiledEverywhere}, read at most every {@link #COMPILED_CHECK_MILLIS} once the rest
     * holds): a farm of many JVMs on few cores can look quiet while its nodes still run the write path's profiling
     * code, each node serving too few writes for C2 to take it up.
     */
    private Warmup warmUp(LoopbackFarm farm, RedisServer redis, CountingExchange answers, History h, long loadStart,
                          boolean untilCompiled) throws InterruptedException {
        WarmupWatch watch = new WarmupWatch(settings.warmupMillis(), settings.warmupMaxMillis());
        long checked = Long.MIN_VALUE;
        for (long next = 0; ; next += WARMUP_SAMPLE_MILLIS) {
            // The samples' schedule: each second, and the maximum itself (the smoke run's half second).
            Thread.sleep(Math.max(0, loadStart + Math.min(next, watch.maxMillis()) - h.now()));
            Warmup end = watch.observe(new WarmupWatch.Sample(h.now() - loadStart, farmCpuNanos(farm, redis),
                    farm.jitCpuNanos(), answers.answered()));
            boolean atMax = end != null && end.millis() >= watch.maxMillis();
            if (end != null && untilCompiled && (end.settled() || atMax)) {
                // Each check is a jcmd per node: not every second.
                if (!atMax && h.now() - checked < COMPILED_CHECK_MILLIS) {
                    continue;
                }
                checked = h.now();
                if (!LoadedWindow.compiledEverywhere(farm)) {
                    if (!atMax) {
                        continue;
                    }
                    end = end.shortOf("C2 had not compiled every node's write path");
                }
            }
            if (end != null) {
                return end;
            }
        }
    }

    /** The farm's CPU so far: its nodes, and the central store it uses, if any. */
    private static long farmCpuNanos(LoopbackFarm farm, RedisServer redis) {
        long nodes = farm.cpuNanos();
        if (redis == null || nodes < 0) {
            return nodes;
        }
        long store = LoopbackFarm.cpuNanos(redis.pid());
        return store < 0 ? -1 : nodes + store;
    }

    FailoverFigures failover(LoopbackFarm farm) throws InterruptedException {
        History h = new History();
        LoadClient load = client(h, LoadClient.Mode.STICKY, settings.users(), farm, new SocketExchange())
                .workload(0, Scenario.STICKY_WRITES.payloadBytes());
        load.start();
        Thread.sleep(settings.warmupMillis() + 1_000);
        LoopbackFarm.Node victim = farm.live().get(1);
        long killedAt = h.now();
        h.mark(killedAt, "kill -9 " + victim.name());
        farm.kill9(victim);
        // Observe at least failoverObserveMillis, until every user has been served after the kill, at most
        // failoverMaxMillis.
        long deadline = killedAt + settings.failoverMaxMillis();
        while (h.now() < deadline) {
            if (h.now() - killedAt >= settings.failoverObserveMillis() && allServedSince(h, killedAt)) {
                break;
            }
            Thread.sleep(200);
        }
        load.close();
        awaitConvergenceGrace(farm);
        load.readEverywhere(farm.targets());
        CheckResult check = new Checker().checkExpiry(false).check(h);
        logViolations(farm.contender() + " failover", check);
        return FailoverFigures.of(h, killedAt, victim.name(), check);
    }

    /**
     * SessionGrid acknowledges a write once every owner has it, so its final reads follow the load at once:
     * a copy that is behind then is a violation. The asynchronous contenders get the documented grace (a
     * copy still behind after it is reported as lost), which is part of what their figures mean, not a
     * wait for a condition.
     */
    private void awaitConvergenceGrace(LoopbackFarm farm) throws InterruptedException {
        if (!farm.contender().isSessionGrid()) {
            Thread.sleep(settings.convergenceGraceMillis());
        }
    }

    /** The first few violations, so that a contender's figures can be understood from the build log. */
    static void logViolations(String what, CheckResult check) {
        if (!check.violations().isEmpty()) {
            LOG.info("{}: {} violations, e.g. {}", what, check.violations().size(),
                    check.violations().stream().limit(3).toList());
        }
    }

    private boolean allServedSince(History h, long t) {
        Set<Integer> users = new TreeSet<>();
        Set<Integer> served = new TreeSet<>();
        for (Op op : h.ops()) {
            users.add(op.user());
            if (op.ok() && op.start() >= t) {
                served.add(op.user());
            }
        }
        return served.size() == users.size();
    }

    MemoryFigures memory(LoopbackFarm farm, RedisServer redis) throws Exception {
        List<LoopbackFarm.Node> nodes = farm.live();
        boolean gridOnTomcat = farm.contender().isSessionGrid() && farm.contender().container() == NodeJars.Container.TOMCAT;
        HeapHistogram[] before = new HeapHistogram[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            before[i] = HeapProbe.histogram(nodes.get(i).process().pid());
        }
        long redisBefore = redis == null ? 0 : HeapProbe.redisUsedMemory(redis.address(), 6379);
        History h = new History();
        int n = settings.memorySessions();
        // Each user's first request creates its session (with the 1 KiB payload); stop once every user made one.
        LoadClient load = loadClient(h, LoadClient.Mode.STICKY,
                new LoadClient.Settings(n, Math.min(64, n), 0, 0, 0, 4, Duration.ofSeconds(10)), farm).workload(0, 1024);
        load.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (load.opsCount() < n) {
            if (System.nanoTime() - deadline > 0) {
                load.close();
                throw new IllegalStateException("created only " + load.opsCount() + " of " + n + " sessions in 5 minutes");
            }
            Thread.sleep(50);
        }
        load.close();
        long sessions = h.ops().stream().filter(Op::ok).map(Op::sessionId).distinct().count();
        Path dir = work.resolve("memory");
        Files.createDirectories(dir);
        long justCreated = growth(farm, nodes, before, sessions, dir, "");
        long total = justCreated;
        if (gridOnTomcat && settings.name().equals("full")) {
            // The steady state of idle sessions: each node drops its decoded copies copyIdleTimeout (default 60 s)
            // after their last request, on Tomcat's next background tick (10 s). Not in the smoke run, whose
            // budget is seconds: there the figure is the one right after creating.
            awaitNoGridSessions(nodes, before, sessions);
            total = growth(farm, nodes, before, sessions, dir, "-idle");
        }
        long store = redis == null ? 0 : HeapProbe.redisUsedMemory(redis.address(), 6379) - redisBefore;
        double scale = 10_000.0 / Math.max(1, sessions);
        return new MemoryFigures((int) sessions, Math.round(total * scale / nodes.size()),
                Math.round((total + store) * scale), Math.round(store * scale), Math.round((justCreated + store) * scale));
    }

    /** The farm's live heap growth since {@code before}, each node's per class written to {@code dir}. */
    private static long growth(LoopbackFarm farm, List<LoopbackFarm.Node> nodes, HeapHistogram[] before, long sessions,
                               Path dir, String suffix) throws Exception {
        long total = 0;
        for (int i = 0; i < nodes.size(); i++) {
            HeapHistogram after = HeapProbe.histogram(nodes.get(i).process().pid());
            total += after.totalBytes() - before[i].totalBytes();
            // What the sessions are made of on this node: the report's per-class breakdown (PROFILE.md's "Memory").
            Path file = dir.resolve(farm.contender().name().toLowerCase() + "-" + nodes.get(i).name() + suffix + ".txt");
            Files.writeString(file, farm.contender() + " " + nodes.get(i).name() + suffix + ", " + sessions
                    + " sessions in the farm, live heap growth per class\n" + after.growthTable(before[i], sessions, 40));
            LOG.info("{} {}{}: live heap grew {} bytes for {} sessions, per class in {}", farm.contender(),
                    nodes.get(i).name(), suffix, after.totalBytes() - before[i].totalBytes(), sessions, file);
        }
        return total;
    }

    /** Waits (3 minutes at most) until no node holds more than 1% of the sessions as decoded copies. */
    private static void awaitNoGridSessions(List<LoopbackFarm.Node> nodes, HeapHistogram[] before, long sessions)
            throws Exception {
        String copy = "org.sessiongrid.tomcat.GridSession";
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            long held = 0;
            for (int i = 0; i < nodes.size(); i++) {
                HeapHistogram now = HeapProbe.histogram(nodes.get(i).process().pid());
                held += now.instancesOf(copy) - before[i].instancesOf(copy);
            }
            if (held <= sessions / 100) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(held + " decoded copies of " + sessions + " sessions still held after 3 minutes");
            }
            Thread.sleep(5_000);
        }
    }
}
