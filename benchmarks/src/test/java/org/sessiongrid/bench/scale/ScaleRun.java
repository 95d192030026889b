package org.sessiongrid.bench.scale;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.sessiongrid.bench.scale.ScaleFigures.PerWrite;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.it.rig.Cmd;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SessionGrid alone, all members in one JVM over the {@code test-loopback} stack, for each member count: messages
 * and bytes per write (3 copies whatever the size, so these must stay flat), the coordinator's placement time for a
 * join and the data a join moves against its minimum. Runs in a child JVM started by {@link ScaleLauncher}
 * ({@link #main}), which prints one {@code SCALE|...} line per member count.
 */
public final class ScaleRun {

    private static final Logger LOG = LoggerFactory.getLogger(ScaleRun.class);
    private static final int SEGMENTS = 1024;
    private static final int OWNERS = 3;
    /**
     * Every member multicasts a heartbeat to every other: m² deliveries per interval, all in this JVM. At the
     * stack's 0.5 s, 128 members' heartbeats (about 33,000 deliveries a second) and the GC pauses of JGroups'
     * buffers per pair of members starved 2 cores past the stack's 3 s timeout: members suspected each other and
     * the cluster split while it formed. Heartbeats are multicasts, not counted in the figures, and no member
     * fails here, so relaxing failure detection for every size changes no figure; it keeps one JVM from
     * partitioning itself. (SessionGrid's pause detector takes the same timeout.) Constant expressions, so that
     * the report reads them without loading this class.
     */
    public static final long HEARTBEAT_MILLIS = 2_000;
    public static final long FAILURE_DETECTION_TIMEOUT_MILLIS = 20_000;
    /** Members starting at a time, see {@link #startConcurrently}; a constant expression like the two above. */
    public static final int STARTERS = 16;
    /** How long one member count may take to form and settle before it is reported as failed. */
    static final long SETTLE_MILLIS = 180_000;

    private final List<Integer> sizes;
    private final int scaleWrites;
    private final Path dumps;

    ScaleRun(List<Integer> sizes, int writes, Path dumps) {
        this.sizes = sizes;
        this.scaleWrites = writes;
        this.dumps = dumps;
    }

    /** Arguments: the member counts (comma separated), the writes per count and where thread dumps go. */
    public static void main(String[] args) {
        List<Integer> sizes = Arrays.stream(args[0].split(",")).map(Integer::valueOf).toList();
        for (ScaleFigures f : new ScaleRun(sizes, Integer.parseInt(args[1]), Path.of(args[2])).run()) {
            System.out.println(ScaleLauncher.encode(f));
            System.out.flush();
        }
        System.exit(0);
    }

    List<ScaleFigures> run() {
        // The first pass warms the JIT up. Both before any cluster runs: members' threads (a halted cluster's too,
        // while they wind down) would compete with the placement's.
        for (int m : sizes) {
            placementMicros(m);
        }
        Map<Integer, Double> placements = new TreeMap<>();
        for (int m : sizes) {
            placements.put(m, placementMicros(m));
        }
        warmUp();
        List<ScaleFigures> out = new ArrayList<>();
        for (int m : sizes) {
            double placement = placements.get(m);
            List<Member> members = members(m);
            OwnerTable before = Placement.create(members, SEGMENTS, OWNERS);
            List<Member> joined = new ArrayList<>(members);
            joined.add(new Member("m" + m, "m" + m));
            int moved = Placement.rebalance(before, joined, OWNERS).slotsAddedComparedTo(before);
            int minimum = (int) Math.ceil(SEGMENTS * OWNERS / (double) (m + 1));
            Live live = Live.NONE;
            String note = "";
            try {
                live = liveWrites(m);
                LOG.info("scale {} members: per write {} in the cluster, {} from the primary", m, live.cluster(),
                        live.primary());
            } catch (RuntimeException e) {
                LOG.warn("scale {} members: live cluster failed", m, e);
                note = "live cluster: " + e.getMessage();
            }
            out.add(new ScaleFigures(m, live.cluster(), live.primary(), placement, moved, minimum, live.startMillis(),
                    note));
        }
        return out;
    }

    /**
     * Class loading and the JIT's first compilations would otherwise land in the first member count's formation
     * time (3 members took longer to form than 8 did).
     */
    private void warmUp() {
        String cluster = "sg-scale-" + ProcessHandle.current().pid() + "-warmup";
        List<SessionGrid> grids = Collections.synchronizedList(new ArrayList<>());
        try {
            startConcurrently(cluster, 3, grids);
            awaitStable(grids, SETTLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            haltAll(grids);
        }
    }

    private static List<Member> members(int m) {
        List<Member> list = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            list.add(new Member("m" + i, "m" + i));
        }
        return list;
    }

    /** Median over repetitions of the owner-table computation when member m+1 joins m members. */
    static double placementMicros(int m) {
        List<Member> members = members(m);
        OwnerTable table = Placement.create(members, SEGMENTS, OWNERS);
        List<Member> joined = new ArrayList<>(members);
        joined.add(new Member("m" + m, "m" + m));
        int reps = 21;
        long[] t = new long[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            Placement.rebalance(table, joined, OWNERS);
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        return t[reps / 2] / 1000.0;
    }

    /** What the live cluster of one member count gave. */
    private record Live(PerWrite cluster, PerWrite primary, long startMillis) {
        static final Live NONE = new Live(PerWrite.NONE, PerWrite.NONE, -1);
    }

    private Live liveWrites(int m) {
        String cluster = "sg-scale-" + ProcessHandle.current().pid() + "-" + m;
        List<SessionGrid> grids = Collections.synchronizedList(new ArrayList<>());
        try {
            long t0 = System.nanoTime();
            startConcurrently(cluster, m, grids);
            try {
                awaitStable(grids, SETTLE_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "; " + dumpThreads(m), e);
            }
            long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            LOG.info("{} members formed in {} ms: {} threads, {} MiB heap used", m, startMillis,
                    ManagementFactory.getThreadMXBean().getThreadCount(), usedHeapMiB());
            // Not the coordinator: it answers every member's periodic session-count report, idle traffic that
            // would swamp the primary's own figures.
            SessionGrid writer = grids.stream().filter(g -> !g.isCoordinator()).findFirst().orElseThrow();
            String primary = writer.memberName();
            SessionStore store = writer.store("localhost/scale");
            int sessions = 64;
            String[] ids = new String[sessions];
            SessionRecord[] copies = new SessionRecord[sessions];
            byte[] value = new byte[1024];
            long c0 = System.nanoTime();
            for (int i = 0; i < sessions; i++) {
                ids[i] = store.newLocalId(() -> UUID.randomUUID().toString());
                if (!store.isLocalPrimary(ids[i])) {
                    throw new IllegalStateException("no session id found whose primary is " + primary
                            + ": the primary's figures would be another member's");
                }
                copies[i] = store.create(ids[i], SessionDelta.builder().maxInactiveInterval(1800).set("payload", value)
                        .build());
            }
            long expectedWriting = (System.nanoTime() - c0) / sessions * scaleWrites;
            LoopbackStats.enable(cluster);
            // Idle traffic (heartbeats are multicasts, but acks, stability gossip and session-count reports are
            // not), measured before and after the writes for about as long as they take and subtracted; the two
            // windows' difference says how far the idle estimate can be trusted. Measuring windows, not waits.
            Counts before = Counts.over(cluster, primary, expectedWriting);
            Counts writing = Counts.during(cluster, primary, () -> {
                for (int i = 0; i < scaleWrites; i++) {
                    int k = i % sessions;
                    copies[k] = store.commit(ids[k], SessionDelta.builder().set("payload", value).build(), copies[k]);
                }
            });
            Counts after = Counts.over(cluster, primary, writing.nanos());
            return new Live(perWrite(writing, before, after, Counts::cluster, scaleWrites),
                    perWrite(writing, before, after, Counts::primary, scaleWrites), startMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            haltAll(grids);
        }
    }

    /**
     * Per write, the part {@code which} picks of what was sent during the writes, less the mean idle rate of the
     * windows before and after; never below zero, where idle noise outweighs the writes.
     */
    private static PerWrite perWrite(Counts writing, Counts before, Counts after,
                                     Function<Counts, LoopbackStats.Sent> which, int writes) {
        LoopbackStats.Sent w = which.apply(writing);
        LoopbackStats.Sent b = which.apply(before);
        LoopbackStats.Sent a = which.apply(after);
        // Idle per write: a window's count scaled from its length to the writes' length, then per write.
        double toWrite = writing.nanos() / (double) writes;
        double bScale = toWrite / before.nanos();
        double aScale = toWrite / after.nanos();
        double msgsBefore = b.messages() * bScale;
        double msgsAfter = a.messages() * aScale;
        double bytesBefore = b.bytes() * bScale;
        double bytesAfter = a.bytes() * aScale;
        return new PerWrite(Math.max(0, w.messages() / (double) writes - (msgsBefore + msgsAfter) / 2),
                Math.abs(msgsBefore - msgsAfter) / 2,
                Math.max(0, w.acks() / (double) writes - (b.acks() * bScale + a.acks() * aScale) / 2),
                Math.max(0, w.retransmissions() / (double) writes
                        - (b.retransmissions() * bScale + a.retransmissions() * aScale) / 2),
                Math.max(0, w.bytes() / (double) writes - (bytesBefore + bytesAfter) / 2),
                Math.abs(bytesBefore - bytesAfter) / 2);
    }

    /** Unicasts sent in one window by the whole cluster and by the primary alone. */
    private record Counts(LoopbackStats.Sent cluster, LoopbackStats.Sent primary, long nanos) {

        interface Work {
            void run() throws InterruptedException;
        }

        static Counts over(String cluster, String primary, long nanos) throws InterruptedException {
            return during(cluster, primary, () -> Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos))));
        }

        static Counts during(String cluster, String primary, Work work) throws InterruptedException {
            LoopbackStats.Sent c0 = LoopbackStats.unicastsSent(cluster);
            LoopbackStats.Sent p0 = LoopbackStats.unicastsSent(cluster, primary);
            long t0 = System.nanoTime();
            work.run();
            long nanos = System.nanoTime() - t0;
            return new Counts(LoopbackStats.unicastsSent(cluster).minus(c0),
                    LoopbackStats.unicastsSent(cluster, primary).minus(p0), nanos);
        }
    }

    /**
     * Starts member m0 alone (it founds the cluster and stays its coordinator, so no merge of concurrent singletons
     * is measured), then the others from {@link #STARTERS} threads at once. One after the other, every member
     * costs a view change and a rebalance over all members before the next may begin (128 did not settle within
     * minutes on 2 cores); JGroups folds concurrent joins into a few views, and the coordinator covers every member
     * joined so far with one rebalance. Not all at once: 127 joins at once on a busy machine outlasted the stack's
     * JOIN attempts (10 of 500 ms), and members gave up and became singletons that had to merge later. Adds each
     * member to {@code grids} as its start returns, so that the caller halts whatever started even when another
     * start failed.
     */
    private static void startConcurrently(String cluster, int n, List<SessionGrid> grids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
        grids.add(SessionGrid.start(config(cluster, 0)));
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService starters = Executors.newFixedThreadPool(Math.min(n - 1, STARTERS), r -> {
            Thread t = new Thread(r, "scale-starter-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> started = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                GridConfig c = config(cluster, i);
                started.add(starters.submit(() -> grids.add(SessionGrid.start(c))));
            }
            for (Future<?> f : started) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("a member of " + n + " did not start: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("only " + grids.size() + " of " + n + " members started within "
                    + SETTLE_MILLIS + " ms");
        } finally {
            starters.shutdownNow();
            // A start still under way returns within joinTimeout; its member must be in grids to be halted.
            if (!starters.awaitTermination(config(cluster, 0).joinTimeout() + 10_000, TimeUnit.MILLISECONDS)) {
                LOG.warn("member starts of cluster {} still running; their members are not halted", cluster);
            }
        }
    }

    private static GridConfig config(String cluster, int i) {
        return GridConfig.builder(cluster).stack("test-loopback").nodeName("m" + i)
                .failureDetectionTimeout(FAILURE_DETECTION_TIMEOUT_MILLIS)
                .stackProperty(GridConfig.PREFIX + "failureDetectionInterval", String.valueOf(HEARTBEAT_MILLIS)).build();
    }

    private static void haltAll(List<SessionGrid> grids) {
        synchronized (grids) {
            grids.forEach(SessionGrid::halt);
        }
    }

    private static long usedHeapMiB() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }

    private static void awaitStable(List<SessionGrid> members, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!stable(members)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(members.size() + " members did not settle within " + timeoutMillis
                        + " ms: " + state(members));
            }
            Thread.sleep(20);
        }
    }

    private static boolean stable(List<SessionGrid> members) {
        Topology t = members.get(0).topology();
        if (t == null || t.isRebalancing() || t.current().members().size() != members.size()) {
            return false;
        }
        for (SessionGrid g : members) {
            if (g.topology() == null || g.topology().id() != t.id()) {
                return false;
            }
        }
        return Placement.rebalance(t.current(), t.current().members(), t.numOwners()).equals(t.current());
    }

    /** Which members hold which topology, and the view sizes: where an unsettled cluster stopped. */
    private static String state(List<SessionGrid> members) {
        Map<String, Integer> topologies = new TreeMap<>();
        Map<Integer, Integer> views = new TreeMap<>();
        for (SessionGrid g : members) {
            Topology t = g.topology();
            topologies.merge(t == null ? "none" : t.id() + " " + t.phase() + " (" + t.members().size() + " members)", 1,
                    Integer::sum);
            views.merge(g.members().size(), 1, Integer::sum);
        }
        return "members by installed topology " + topologies + ", by view size " + views + ", coordinator "
                + members.stream().filter(SessionGrid::isCoordinator).map(SessionGrid::memberName).toList();
    }

    /** This JVM's thread dump next to the log: where the members of an unsettled cluster wait. */
    private String dumpThreads(int m) {
        Path out = dumps.resolve("scale-" + m + "-threads.txt");
        Cmd.Result r = Cmd.run(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(ProcessHandle.current().pid()), "Thread.print");
        try {
            Files.createDirectories(dumps);
            Files.writeString(out, r.output());
            return "thread dump in " + out;
        } catch (IOException e) {
            return "no thread dump: " + e.getMessage();
        }
    }
}
