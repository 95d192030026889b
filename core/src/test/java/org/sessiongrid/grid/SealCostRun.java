package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.jgroups.protocols.MsgStats;
import org.jgroups.protocols.TP;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/**
 * A measurement, not a test of the default build: what the cluster secret costs one sticky write, as the
 * farm benchmark's {@code SESSIONGRID_TOMCAT_SEALED} contender measures it but without Tomcat, HTTP and
 * the load client, so that the seal's share is larger and shows above the noise of a shared machine.
 * Three members in this JVM on the shipped {@code tcp} stack over loopback sockets; writers at the
 * primary commit a 1 KiB attribute to sessions of their own, as sticky users do. Rounds alternate
 * between a cluster without a secret and one with, each round a new cluster; per write it prints the
 * JVM's CPU time (all three members and the writers, JIT and GC included) and the messages the three
 * transports sent (every one of them sealed in a sealed round).
 *
 * <p>Run: {@code mvn -B -o -pl jgroups-config,core test -Dtest=SealCostRun -Dsurefire.failIfNoSpecifiedTests=false
 * -Dsessiongrid.sealCost=rounds} (e.g. {@code 4}; {@code -Dsessiongrid.sealCost.seconds=10} measured per round,
 * {@code -Dsessiongrid.sealCost.writers=4}).
 */
@EnabledIfSystemProperty(named = "sessiongrid.sealCost", matches = "\\d+")
class SealCostRun {

    private static final String NS = "localhost/bench";
    private static final String SECRET = "the-cluster-secret-of-the-seal-cost-run";

    private record Figures(boolean sealed, long writes, double cpuMicrosPerWrite, double messagesPerWrite,
                           double batchesPerWrite, double bytesPerWrite) {
        @Override
        public String toString() {
            return String.format("%-8s %8d writes  %7.1f us CPU/write  %5.2f msgs/write  %5.2f batches/write  %7.0f B/write",
                    sealed ? "sealed" : "plain", writes, cpuMicrosPerWrite, messagesPerWrite, batchesPerWrite, bytesPerWrite);
        }
    }

    @Test
    void measure() throws Exception {
        int rounds = Integer.getInteger("sessiongrid.sealCost");
        long seconds = Long.getLong("sessiongrid.sealCost.seconds", 10);
        int writers = Integer.getInteger("sessiongrid.sealCost.writers", 4);
        List<Figures> all = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (boolean sealed : r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                Figures f = round(sealed, writers, seconds);
                System.out.println("seal cost round " + r + ": " + f);
                all.add(f);
            }
        }
        System.out.println("seal cost, all rounds:");
        all.forEach(f -> System.out.println("  " + f));
        double plain = all.stream().filter(f -> !f.sealed()).mapToDouble(Figures::cpuMicrosPerWrite).average().orElse(0);
        double sealed = all.stream().filter(Figures::sealed).mapToDouble(Figures::cpuMicrosPerWrite).average().orElse(0);
        System.out.printf("seal cost: sealed / plain CPU per write = %.3f (%.1f vs %.1f us)%n", sealed / plain, sealed, plain);
    }

    private Figures round(boolean sealed, int writers, long seconds) throws Exception {
        String cluster = "sealcost-" + UUID.randomUUID();
        int[] ports = {ClusterSecretTest.freePort(), ClusterSecretTest.freePort(), ClusterSecretTest.freePort()};
        String hosts = "127.0.0.1[" + ports[0] + "],127.0.0.1[" + ports[1] + "],127.0.0.1[" + ports[2] + "]";
        List<SessionGrid> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                GridConfig.Builder b = ClusterSecretTest.tcp(cluster, String.valueOf((char) ('A' + i)), ports[i], hosts);
                members.add(SessionGrid.start((sealed ? b.clusterSecret(SECRET) : b).build()));
            }
            awaitStable(members);
            SessionStore store = members.get(0).store(NS);
            byte[] value = new byte[1024];
            new Random(42).nextBytes(value);
            SessionDelta delta = SessionDelta.builder().set("payload", value).build();

            List<Sessions> mine = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                mine.add(new Sessions(store));
            }
            // Warm-up as long as the measurement, then the measured window.
            drive(store, delta, mine, seconds);
            List<MsgStats> stats = members.stream().map(g -> {
                TP tp = g.node().transport().channel().getProtocolStack().getTransport();
                tp.enableStats(true);
                tp.getMessageStats().reset();
                return tp.getMessageStats();
            }).toList();
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = os.getProcessCpuTime();
            long writes = drive(store, delta, mine, seconds);
            long cpu = os.getProcessCpuTime() - cpuBefore;
            long msgs = stats.stream().mapToLong(MsgStats::getNumMsgsSent).sum();
            long batches = stats.stream().mapToLong(MsgStats::getNumBatchesSent).sum()
                    + stats.stream().mapToLong(MsgStats::getNumSingleMsgsSent).sum();
            long bytes = stats.stream().mapToLong(MsgStats::getNumBytesSent).sum();
            return new Figures(sealed, writes, cpu / 1000.0 / writes, (double) msgs / writes, (double) batches / writes,
                    (double) bytes / writes);
        } finally {
            members.forEach(SessionGrid::halt);
        }
    }

    /** One writer's sessions, all with the writing member as primary, and its current copies of them. */
    private static final class Sessions {
        final String[] ids = new String[64];
        final SessionRecord[] copies = new SessionRecord[64];

        Sessions(SessionStore store) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = store.newLocalId(() -> UUID.randomUUID().toString());
                copies[i] = store.create(ids[i], SessionDelta.builder().maxInactiveInterval(1800).build());
            }
        }
    }

    /** Commits at the primary from a thread per {@code Sessions} for {@code seconds}; returns the writes made. */
    private static long drive(SessionStore store, SessionDelta delta, List<Sessions> writers, long seconds)
            throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        LongAdder writes = new LongAdder();
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (Sessions w : writers) {
            Thread thread = new Thread(() -> {
                int i = 0;
                while (System.nanoTime() - end < 0) {
                    try {
                        w.copies[i] = store.commit(w.ids[i], delta, w.copies[i]);
                        writes.increment();
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                    i = (i + 1) % w.ids.length;
                }
            }, "seal-cost-writer-" + threads.size());
            thread.start();
            threads.add(thread);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, failures.get(), "failed writes");
        return writes.sum();
    }

    private static void awaitStable(List<SessionGrid> members) {
        Await.until("three members in one settled topology", Duration.ofSeconds(60), () -> {
            Topology t = members.get(0).topology();
            if (t == null || t.isRebalancing() || t.current().members().size() != members.size()) {
                return false;
            }
            for (SessionGrid g : members) {
                if (g.topology() == null || g.topology().id() != t.id()) {
                    return false;
                }
            }
            return true;
        });
    }
}
