package org.sessiongrid.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/**
 * The request paths of DESIGN.md §4 measured on three members in one JVM over the in-memory
 * {@code test-loopback} stack: no real network, so the numbers show what the grid itself costs
 * (wire encoding, JGroups protocol stack, hand-offs between threads, replication to two backups),
 * not what a LAN adds. Compare them with {@link #baselineMapPut} of the same run, never with
 * numbers from another machine.
 *
 * <p>Every session has member A as its primary and B and C as its backups (3 members, 3 owners).
 * Each thread works on its own share of the sessions, round-robin, so that invocations do not queue
 * on one session's key lock and each thread's copy of its sessions is always the current one (a
 * sticky user, the common case).
 *
 * <p>Abstract: {@link GridThroughputBenchmark} and {@link GridLatencyBenchmark} run these methods in
 * their own units (ops/s and µs/op), which one class could not do readably.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public abstract class GridBenchmarks {

    static final String NAMESPACE = "localhost/bench";
    static final int VALUE_BYTES = 1024;
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    /** A 1 KiB attribute value; its content does not matter to the store, which never reads it. */
    static byte[] value() {
        byte[] v = new byte[VALUE_BYTES];
        new Random(42).nextBytes(v);
        return v;
    }

    /** Three members and sessions whose primary is A; started once per trial (per benchmark and mode). */
    @State(Scope.Benchmark)
    public static class Cluster {

        @Param("1024")
        public int sessions;

        /**
         * The members' JGroups stack: a shipped one's name or a file. The in-memory {@code test-loopback} by
         * default; {@code -p stack=tcp} compares a transport setting over real sockets on loopback (with
         * {@code -Dsessiongrid.bindAddress=127.0.0.1}).
         */
        @Param("test-loopback")
        public String stack;

        SessionGrid a;
        SessionGrid b;
        SessionGrid c;
        SessionStore atPrimary;
        SessionStore atOther;
        String[] ids;
        /** Current record of each session as A holds it. */
        SessionRecord[] primaryCopies;
        /** Current record of each session as B holds it (a near copy of a remote primary). */
        SessionRecord[] otherCopies;
        SessionDelta delta;

        @Setup(Level.Trial)
        public void start() {
            String cluster = "sg-bench-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet();
            List<SessionGrid> started = new ArrayList<>();
            try {
                for (String node : List.of("A", "B", "C")) {
                    started.add(SessionGrid.start(GridConfig.builder(cluster).stack(stack).nodeName(node)
                            .build()));
                }
                a = started.get(0);
                b = started.get(1);
                c = started.get(2);
                awaitStable(started);
                atPrimary = a.store(NAMESPACE);
                atOther = b.store(NAMESPACE);
                byte[] v = value();
                delta = SessionDelta.builder().set("payload", v).build();
                ids = new String[sessions];
                primaryCopies = new SessionRecord[sessions];
                otherCopies = new SessionRecord[sessions];
                for (int i = 0; i < sessions; i++) {
                    String id = atPrimary.newLocalId(() -> UUID.randomUUID().toString());
                    // newLocalId falls back to any id after a bounded number of tries: the benchmark
                    // would then measure another path than it names.
                    if (!atPrimary.isLocalPrimary(id) || atOther.isLocalPrimary(id)
                            || atPrimary.owners(id).backups().size() != 2) {
                        throw new IllegalStateException("session " + id + " is not primary on A with 2 backups: "
                                + atPrimary.owners(id));
                    }
                    ids[i] = id;
                    primaryCopies[i] = atPrimary.create(id, SessionDelta.builder().maxInactiveInterval(1800)
                            .set("payload", v).build());
                    otherCopies[i] = atOther.find(id, null);
                }
            } catch (RuntimeException | Error e) {
                started.forEach(SessionGrid::halt);
                throw e;
            }
        }

        @TearDown(Level.Trial)
        public void halt() {
            for (SessionGrid g : new SessionGrid[] {a, b, c}) {
                if (g != null) {
                    g.halt();
                }
            }
        }

        /**
         * Waits (with a deadline) until all three members run the same settled topology: three members,
         * no rebalance, and the table the coordinator would not change any more.
         */
        private static void awaitStable(List<SessionGrid> members) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!stable(members)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the benchmark cluster did not settle within 60 s: "
                            + members.stream().map(g -> g.memberName() + "@" + g.topology()).toList());
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
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
    }

    /**
     * One thread's share of the sessions (index ≡ thread index mod thread count) and its own copies of
     * them, which only this thread commits to, so they stay current.
     */
    @State(Scope.Thread)
    public static class Cursor {
        int[] mine;
        int next;
        SessionRecord[] primaryCopies;
        SessionRecord[] otherCopies;

        @Setup(Level.Trial)
        public void setUp(Cluster cluster, ThreadParams thread) {
            List<Integer> indexes = new ArrayList<>();
            for (int i = thread.getThreadIndex(); i < cluster.sessions; i += thread.getThreadCount()) {
                indexes.add(i);
            }
            if (indexes.isEmpty()) {
                throw new IllegalStateException("more threads (" + thread.getThreadCount() + ") than sessions ("
                        + cluster.sessions + "): raise -p sessions");
            }
            mine = indexes.stream().mapToInt(Integer::intValue).toArray();
            primaryCopies = cluster.primaryCopies.clone();
            otherCopies = cluster.otherCopies.clone();
        }

        int next() {
            int i = mine[next];
            next = next + 1 == mine.length ? 0 : next + 1;
            return i;
        }
    }

    /** State of the baseline: no cluster, so that measuring it does not start one. */
    @State(Scope.Benchmark)
    public static class Baseline {
        final ConcurrentHashMap<String, byte[]> map = new ConcurrentHashMap<>();
        String[] keys;
        byte[] value;

        @Param("1024")
        public int sessions;

        @Setup(Level.Trial)
        public void fill() {
            value = value();
            keys = new String[sessions];
            for (int i = 0; i < sessions; i++) {
                keys[i] = UUID.randomUUID().toString();
                map.put(keys[i], value);
            }
        }
    }

    /** Per-thread position in the baseline's keys, with the same sharing as {@link Cursor}. */
    @State(Scope.Thread)
    public static class BaselineCursor {
        int next;
        int step;

        @Setup(Level.Trial)
        public void setUp(ThreadParams thread) {
            next = thread.getThreadIndex();
            step = thread.getThreadCount();
        }
    }

    /** The write path at a local primary: apply, replicate synchronously to both backups, answer. */
    @Benchmark
    public SessionRecord commitLocalPrimary(Cluster cluster, Cursor cursor) {
        int i = cursor.next();
        SessionRecord r = cluster.atPrimary.commit(cluster.ids[i], cluster.delta, cursor.primaryCopies[i]);
        cursor.primaryCopies[i] = r;
        return r;
    }

    /** The write path through a non-primary: one round trip to the primary, which replicates as above. */
    @Benchmark
    public SessionRecord commitRemotePrimary(Cluster cluster, Cursor cursor) {
        int i = cursor.next();
        SessionRecord r = cluster.atOther.commit(cluster.ids[i], cluster.delta, cursor.otherCopies[i]);
        cursor.otherCopies[i] = r;
        return r;
    }

    /** The read path at the primary with a current copy: a local lookup, no message. */
    @Benchmark
    public SessionRecord findLocalPrimary(Cluster cluster, Cursor cursor) {
        int i = cursor.next();
        return cluster.atPrimary.find(cluster.ids[i], cursor.primaryCopies[i]);
    }

    /** The read path through a non-primary with a current copy: one small "still v?" round trip. */
    @Benchmark
    public SessionRecord findRemoteUnchanged(Cluster cluster, Cursor cursor) {
        int i = cursor.next();
        return cluster.atOther.find(cluster.ids[i], cursor.otherCopies[i]);
    }

    /** The in-process upper bound for a write: a put of a 1 KiB value into a ConcurrentHashMap. */
    @Benchmark
    public byte[] baselineMapPut(Baseline baseline, BaselineCursor cursor) {
        String key = baseline.keys[cursor.next];
        cursor.next += cursor.step;
        if (cursor.next >= baseline.keys.length) {
            cursor.next -= baseline.keys.length;
        }
        return baseline.map.put(key, baseline.value);
    }
}
