package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;

/** Coordinator loss mid-rebalance, loss of every owner of a segment, and the JMX metrics that report them. */
class FaultToleranceTest {

    private static final String NS = "localhost/faults";

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    @Test
    void coordinatorCrashDuringRebalanceLosesNothing() throws Exception {
        // Small chunks so that the rebalance after the join takes long enough to be interrupted.
        try (TestCluster c = new TestCluster("coordcrash", b -> b.stateTransferChunkSize(8)).start(4)) {
            List<String> idle = new ArrayList<>();
            for (int i = 0; i < 6_000; i++) {
                String id = newId();
                c.members.get(i % 4).store(NS).create(id, SessionDelta.builder().set("p", new byte[512]).build());
                idle.add(id);
            }
            List<String> hot = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = newId();
                c.members.get(1 + i % 3).store(NS).create(id, SessionDelta.builder().build());
                hot.add(id);
            }
            SessionGrid coordinator = c.members.get(0);
            assertTrue(coordinator.isCoordinator());
            CounterLoad load = new CounterLoad(NS, hot, c.members.subList(1, 4)).start();
            try {
                Thread joiner = new Thread(c::startMember);
                joiner.start();
                Await.until("the coordinator is in the middle of a rebalance", Duration.ofSeconds(60),
                        () -> coordinator.topology() != null && coordinator.topology().isRebalancing()
                                && coordinator.topology().members().size() == 5);
                c.halt(coordinator);
                joiner.join();
                c.awaitStable();
                long acked = load.totalAcked();
                Await.until("writers made progress", Duration.ofSeconds(30), () -> load.totalAcked() > acked + 160);
            } finally {
                load.close();
            }
            assertNull(load.firstError);
            GridAssertions.countersSurvived(c, NS, load);
            GridAssertions.ownersComplete(c, 3);
            for (String id : idle) {
                assertNotNull(c.members.get(1).store(NS).find(id, null), "idle session lost: " + id);
            }
        }
    }

    @Test
    void lossOfEveryOwnerIsCountedAndTheSegmentsRestartEmpty() throws Exception {
        try (TestCluster c = new TestCluster("lost", b -> b.numOwners(1)).start(3)) {
            SessionGrid victim = c.members.get(2);
            int onVictim = 0;
            for (int i = 0; i < 900; i++) {
                String id = newId();
                c.members.get(i % 3).store(NS).create(id, SessionDelta.builder().build());
                if (victim.store(NS).isLocalPrimary(id)) {
                    onVictim++;
                }
            }
            int victimSegments = victim.topology().current().primaryCount(victim.node().self());
            SessionGrid coord = c.members.get(0);
            Await.until("the coordinator heard every member's session counts", Duration.ofSeconds(20),
                    () -> reported(coord) == 900);
            c.halt(victim);
            c.awaitStable();
            SessionGrid coordinator = c.members.get(0);
            assertEquals(victimSegments, coordinator.stats().lostSegments());
            assertEquals(onVictim, coordinator.stats().lostSessions(), "lost sessions reported");
            // The segments are usable again, empty.
            String id = c.members.get(1).store(NS).newLocalId(FaultToleranceTest::newId);
            c.members.get(1).store(NS).create(id, SessionDelta.builder().build());
            GridAssertions.ownersComplete(c, 1);
        }
    }

    private static long reported(SessionGrid g) {
        try {
            return g.node().reportedSessions();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void metricsAreReadableThroughThePlatformMBeanServer() throws Exception {
        try (TestCluster c = new TestCluster("jmx").start(3)) {
            for (int i = 0; i < 300; i++) {
                c.members.get(i % 3).store(NS).create(newId(), SessionDelta.builder().set("a", new byte[100]).build());
            }
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            long primaries = 0;
            long backups = 0;
            int primarySegments = 0;
            for (SessionGrid g : c.members) {
                ObjectName name = SessionGrid.objectName(c.name, g.config().nodeName());
                assertEquals(g.topologyId(), (Long) server.getAttribute(name, "TopologyId"));
                assertEquals(3, ((String[]) server.getAttribute(name, "Members")).length);
                primaries += (Long) server.getAttribute(name, "PrimarySessions");
                backups += (Long) server.getAttribute(name, "BackupSessions");
                primarySegments += (Integer) server.getAttribute(name, "PrimarySegments");
                assertTrue((Long) server.getAttribute(name, "BytesHeld") > 300 * 100);
                assertEquals(0L, server.getAttribute(name, "LostSegments"));
                assertEquals(Boolean.FALSE, server.getAttribute(name, "RebalanceInProgress"));
                assertNotNull(server.getAttribute(name, "DroppedMessagesByReason"));
            }
            assertEquals(300, primaries, "each session has one primary");
            assertEquals(600, backups, "and two backups");
            assertEquals(1024, primarySegments);
            ObjectName a = SessionGrid.objectName(c.name, "A");
            assertTrue((Long) server.getAttribute(a, "ReplicationLatencyP99Micros") > 0, "replication was measured");
            // Where a session lives, as an operation: the same answer as the store's, on every member.
            String id = newId();
            org.sessiongrid.grid.SessionOwners owners = c.members.get(1).store(NS).owners(id);
            String expected = owners.primary() + "," + String.join(",", owners.backups());
            for (SessionGrid g : c.members) {
                Object answer = server.invoke(SessionGrid.objectName(c.name, g.config().nodeName()), "sessionOwners",
                        new Object[] {id + ".route"}, new String[] {String.class.getName()});
                assertEquals(expected, answer);
            }
            assertEquals(3, expected.split(",").length);
            c.members.get(0).halt();
            assertTrue(!server.isRegistered(a), "a stopped member unregisters its metrics");
        }
    }
}
