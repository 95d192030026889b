package org.sessiongrid.bench.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.farm.Http;
import org.sessiongrid.bench.farm.LoopbackFarm;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.measure.RebalanceFigures;
import org.sessiongrid.it.check.CheckResult;
import org.sessiongrid.it.check.Checker;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.LoadClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SessionGrid on Tomcat only: three members holding {@code rebalanceSessions} sessions of 1 KiB, a sticky write
 * load, and a fourth member started: how long until the four run one settled topology, how much was moved
 * against the minimum, and what the load saw meanwhile.
 */
public final class RebalanceRun {

    private static final Logger LOG = LoggerFactory.getLogger(RebalanceRun.class);

    private final BenchSettings settings;
    private final Path work;
    private final String subnet;

    public RebalanceRun(BenchSettings settings, Path work, String subnet) {
        this.settings = settings;
        this.work = work;
        this.subnet = subnet;
    }

    public RebalanceFigures run() throws Exception {
        try (LoopbackFarm farm = new LoopbackFarm(Contender.SESSIONGRID_TOMCAT, 4, work, subnet, null,
                settings.nodeHeap(), settings.nodeJvmArgs())) {
            farm.startAll(3, ContenderRun.START_TIMEOUT_MILLIS);
            int n = settings.rebalanceSessions();
            fill(farm, n);
            long transferredBefore = sum(farm, "RecordsTransferred");
            long topologyBefore = Long.parseLong(status(farm.live().get(0)).getOrDefault("TopologyId", "0"));

            History h = new History();
            LoadClient load = ContenderRun.loadClient(h, LoadClient.Mode.STICKY, new LoadClient.Settings(settings.users(),
                    settings.users(), 0, 0, 0, 4, Duration.ofSeconds(10)), farm).workload(0, 1024);
            load.start();
            Thread.sleep(settings.warmupMillis());
            long t0 = h.now();
            farm.add(ContenderRun.START_TIMEOUT_MILLIS);
            long joined = h.now() - t0;
            awaitSettled(farm, topologyBefore, TimeUnit.MINUTES.toMillis(10));
            long stable = h.now();
            load.close();
            Thread.sleep(settings.convergenceGraceMillis());
            load.readEverywhere(farm.targets());
            CheckResult check = new Checker().checkExpiry(false).check(h);
            ContenderRun.logViolations("rebalance", check);
            LoadFigures during = LoadFigures.of(h, t0, stable, check);

            long records = sum(farm, "RecordsTransferred") - transferredBefore;
            long held = sum(farm, "BytesHeld");
            long copies = sum(farm, "PrimarySessions") + sum(farm, "BackupSessions");
            double recordBytes = copies == 0 ? 0 : (double) held / copies;
            RebalanceFigures f = new RebalanceFigures(n, stable - t0, joined, records, Math.round(records * recordBytes),
                    Math.round(n * 3 / 4.0 * recordBytes), during.p99Millis(), during.throughput(), during.errors(),
                    check.violations().size());
            LOG.info("rebalance: {}", f);
            return f;
        }
    }

    /** Creates {@code n} sessions (each user's first request), sticky, with a 1 KiB payload. */
    private void fill(LoopbackFarm farm, int n) throws InterruptedException {
        History h = new History();
        LoadClient load = ContenderRun.loadClient(h, LoadClient.Mode.STICKY,
                new LoadClient.Settings(n, Math.min(64, n), 0, 0, 0, 4, Duration.ofSeconds(10)), farm).workload(0, 1024);
        load.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (load.opsCount() < n) {
            if (System.nanoTime() - deadline > 0) {
                load.close();
                throw new IllegalStateException("created only " + load.opsCount() + " of " + n + " sessions in 10 min");
            }
            Thread.sleep(100);
        }
        load.close();
    }

    private static Map<String, String> status(LoopbackFarm.Node node) throws InterruptedException {
        return Http.status(node.statusUrl(false));
    }

    private static long sum(LoopbackFarm farm, String attribute) throws InterruptedException {
        long total = 0;
        for (LoopbackFarm.Node node : farm.live()) {
            total += Long.parseLong(status(node).getOrDefault(attribute, "0"));
        }
        return total;
    }

    /** Four members, one topology newer than {@code before}, no rebalance running, the new member holding data. */
    private static void awaitSettled(LoopbackFarm farm, long before, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        String why = "";
        while (System.nanoTime() - deadline < 0) {
            why = null;
            Long topology = null;
            for (LoopbackFarm.Node node : farm.live()) {
                Map<String, String> s = status(node);
                long t = Long.parseLong(s.getOrDefault("TopologyId", "0"));
                int members = s.getOrDefault("Members", "").isEmpty() ? 0 : s.get("Members").split(",").length;
                if (members != 4 || !"false".equals(s.get("RebalanceInProgress")) || t <= before
                        || (topology != null && topology != t)) {
                    why = node.name() + ": members " + members + ", rebalancing " + s.get("RebalanceInProgress")
                            + ", topology " + t;
                    break;
                }
                topology = t;
            }
            if (why == null) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the 4-member topology did not settle within " + timeoutMillis + " ms: " + why);
    }
}
