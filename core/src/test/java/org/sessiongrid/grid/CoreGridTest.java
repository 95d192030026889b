package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/** The core grid in one JVM over real JGroups channels (SHARED_LOOPBACK). */
class CoreGridTest {

    private static final String NS = "localhost/shop";

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writeAcknowledgedOnAnyNodeIsReadableOnEveryNode() {
        try (TestCluster c = new TestCluster("rw").start(3)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                SessionGrid writer = c.members.get(i % 3);
                String id = newId();
                writer.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800)
                        .set("user", utf8("u" + i)).build());
                ids.add(id);
            }
            for (int i = 0; i < ids.size(); i++) {
                // Update through another member than the creator.
                SessionGrid writer = c.members.get((i + 1) % 3);
                SessionRecord base = writer.store(NS).find(ids.get(i), null);
                writer.store(NS).commit(ids.get(i), SessionDelta.builder().set("cart", utf8("item" + i))
                        .remove("user").build(), base);
            }
            for (SessionGrid reader : c.members) {
                for (int i = 0; i < ids.size(); i++) {
                    SessionRecord r = reader.store(NS).find(ids.get(i), null);
                    assertNotNull(r, "session " + i + " read through " + reader.memberName());
                    assertEquals("item" + i, new String(r.attribute("cart"), StandardCharsets.UTF_8));
                    assertNull(r.attribute("user"), "removed attribute came back");
                    assertEquals(1800, r.meta().maxInactiveInterval());
                }
            }
            GridAssertions.ownersComplete(c, 3);
        }
    }

    @Test
    void nearCopyIsReturnedUnchangedAndUpdatedWithOnlyChanges() {
        try (TestCluster c = new TestCluster("near").start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            // A session whose primary is A, read through B (a remote primary).
            String id = a.store(NS).newLocalId(CoreGridTest::newId);
            assertTrue(a.store(NS).isLocalPrimary(id));
            assertFalse(b.store(NS).isLocalPrimary(id));
            a.store(NS).create(id, SessionDelta.builder().set("x", utf8("1")).set("y", utf8("2")).build());
            SessionRecord onB = b.store(NS).find(id, null);
            assertSame(onB, b.store(NS).find(id, onB), "an unchanged copy must be confirmed, not re-sent");
            long remoteReadsBefore = a.stats().remoteReads();
            a.store(NS).commit(id, SessionDelta.builder().set("y", utf8("3")).build(), a.store(NS).find(id, null));
            SessionRecord updated = b.store(NS).find(id, onB);
            assertEquals("3", new String(updated.attribute("y"), StandardCharsets.UTF_8));
            assertSame(onB.attributes().get("x"), updated.attributes().get("x"),
                    "an unchanged attribute must be kept from the near copy, not fetched again");
            assertEquals(remoteReadsBefore + 1, a.stats().remoteReads());
        }
    }

    @Test
    void aCommitAtItsPrimaryReturnsItsChangeMergedWithTheOthers() {
        try (TestCluster c = new TestCluster("handback").start(3)) {
            SessionGrid a = c.members.get(0);
            String id = a.store(NS).newLocalId(CoreGridTest::newId);
            assertTrue(a.store(NS).isLocalPrimary(id));
            SessionRecord base = a.store(NS).create(id, SessionDelta.builder().set("x", utf8("1")).build());
            SessionRecord first = a.store(NS).commit(id, SessionDelta.builder().set("y", utf8("2")).build(), base);
            assertEquals("2", new String(first.attribute("y"), StandardCharsets.UTF_8));
            // A commit on an older base merges at the primary; the caller's result has the other commit's change.
            SessionRecord second = a.store(NS).commit(id, SessionDelta.builder().set("z", utf8("3")).build(), base);
            assertEquals(a.store(NS).find(id, null).version(), second.version());
            assertEquals("2", new String(second.attribute("y"), StandardCharsets.UTF_8), "the other commit's change");
            assertEquals("3", new String(second.attribute("z"), StandardCharsets.UTF_8));
            assertEquals("1", new String(second.attribute("x"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void concurrentChangesOfDifferentAttributesMergeAtThePrimary() {
        try (TestCluster c = new TestCluster("merge").start(3)) {
            String id = newId();
            SessionRecord base = c.members.get(0).store(NS).create(id, SessionDelta.builder().build());
            // Two requests on B and C start from the same base and change different attributes.
            SessionRecord afterB = c.members.get(1).store(NS).commit(id,
                    SessionDelta.builder().set("fromB", utf8("b")).build(), base);
            SessionRecord afterC = c.members.get(2).store(NS).commit(id,
                    SessionDelta.builder().set("fromC", utf8("c")).build(), base);
            assertNotNull(afterB.attribute("fromB"));
            assertNotNull(afterC.attribute("fromB"), "C's result must include B's concurrent change");
            assertNotNull(afterC.attribute("fromC"));
            SessionRecord onA = c.members.get(0).store(NS).find(id, null);
            assertNotNull(onA.attribute("fromB"));
            assertNotNull(onA.attribute("fromC"));
        }
    }

    @Test
    void invalidatedSessionCannotBeRevivedByALateCommit() {
        try (TestCluster c = new TestCluster("tomb").start(3)) {
            String id = newId();
            SessionRecord base = c.members.get(0).store(NS).create(id, SessionDelta.builder().set("a", utf8("1")).build());
            assertTrue(c.members.get(1).store(NS).invalidate(id));
            assertFalse(c.members.get(2).store(NS).invalidate(id), "invalidate is idempotent");
            for (SessionGrid g : c.members) {
                assertNull(g.store(NS).find(id, null), "invalidated session visible on " + g.memberName());
            }
            SessionGoneException e = assertThrows(SessionGoneException.class, () -> c.members.get(2).store(NS)
                    .commit(id, SessionDelta.builder().set("a", utf8("2")).build(), base));
            assertTrue(e.invalidated());
            assertThrows(SessionExistsException.class, () -> c.members.get(1).store(NS)
                    .create(id, SessionDelta.builder().build()));
        }
    }

    @Test
    void changeIdMovesTheRecord() {
        try (TestCluster c = new TestCluster("chid").start(3)) {
            String oldId = newId();
            c.members.get(0).store(NS).create(oldId, SessionDelta.builder().set("cart", utf8("3 items")).build());
            String newId = c.members.get(1).store(NS).newLocalId(CoreGridTest::newId);
            c.members.get(1).store(NS).changeId(oldId, newId);
            assertNull(c.members.get(2).store(NS).find(oldId, null));
            SessionRecord moved = c.members.get(2).store(NS).find(newId, null);
            assertEquals("3 items", new String(moved.attribute("cart"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void routeSuffixDoesNotChangeTheSession() {
        try (TestCluster c = new TestCluster("route").start(2)) {
            String id = newId();
            c.members.get(0).store(NS).create(id + ".node1", SessionDelta.builder().set("a", utf8("1")).build());
            assertNotNull(c.members.get(1).store(NS).find(id + ".node2", null));
            assertNotNull(c.members.get(1).store(NS).find(id, null));
        }
    }

    @Test
    void namespacesAreSeparate() {
        try (TestCluster c = new TestCluster("ns").start(2)) {
            String id = newId();
            c.members.get(0).store("localhost/a").create(id, SessionDelta.builder().set("a", utf8("1")).build());
            assertNull(c.members.get(1).store("localhost/b").find(id, null));
            assertNotNull(c.members.get(1).store("localhost/a").find(id, null));
        }
    }

    @Test
    void primaryCrashUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        try (TestCluster c = new TestCluster("crash").start(4)) {
            SessionGrid victim = c.members.get(0);
            List<SessionGrid> survivors = c.members.subList(1, 4);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                // Half the sessions have the victim as primary, so its crash forces promotions.
                String id = i % 2 == 0 ? victim.store(NS).newLocalId(CoreGridTest::newId) : newId();
                survivors.get(i % 3).store(NS).create(id, SessionDelta.builder().build());
                ids.add(id);
            }
            try (CounterLoad load = new CounterLoad(NS, ids, survivors).start()) {
                Await.until("every writer acknowledged 20 writes", Duration.ofSeconds(30),
                        () -> minAcked(load) >= 20);
                c.halt(victim);
                long ackedAtCrash = load.totalAcked();
                c.awaitStable();
                Await.until("writers made progress after the failover", Duration.ofSeconds(30),
                        () -> minAcked(load) >= 20 && load.totalAcked() > ackedAtCrash + 16 * 20);
            }
            assertNull(loadError(c), "no errors");
            GridAssertions.countersSurvived(c, NS, lastLoad);
            GridAssertions.ownersComplete(c, 3);
        }
    }

    private CounterLoad lastLoad;

    private String loadError(TestCluster c) {
        return lastLoad == null ? "load not recorded" : lastLoad.firstError;
    }

    private long minAcked(CounterLoad load) {
        lastLoad = load;
        long min = Long.MAX_VALUE;
        for (int i = 0; i < load.acked.length(); i++) {
            min = Math.min(min, load.acked.get(i));
        }
        return min;
    }

    @Test
    void twoOfFiveCrashAtOnceUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        try (TestCluster c = new TestCluster("crash2").start(5)) {
            List<SessionGrid> victims = c.members.subList(0, 2);
            List<SessionGrid> survivors = c.members.subList(2, 5);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = victims.get(i % 2).store(NS).newLocalId(CoreGridTest::newId);
                survivors.get(i % 3).store(NS).create(id, SessionDelta.builder().build());
                ids.add(id);
            }
            try (CounterLoad load = new CounterLoad(NS, ids, survivors).start()) {
                Await.until("every writer acknowledged 20 writes", Duration.ofSeconds(30), () -> minAcked(load) >= 20);
                c.halt(victims.toArray(new SessionGrid[0]));
                long ackedAtCrash = load.totalAcked();
                c.awaitStable();
                Await.until("writers made progress after the failover", Duration.ofSeconds(30),
                        () -> load.totalAcked() > ackedAtCrash + 16 * 20);
            }
            assertNull(loadError(c));
            GridAssertions.countersSurvived(c, NS, lastLoad);
            GridAssertions.ownersComplete(c, 3);
        }
    }

    @Test
    void joinUnderLoadTakesItsShareAndLosesNothing() throws Exception {
        try (TestCluster c = new TestCluster("join").start(3)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = newId();
                c.members.get(i % 3).store(NS).create(id, SessionDelta.builder().build());
                ids.add(id);
            }
            // Some idle sessions so that there is data to transfer.
            for (int i = 0; i < 2_000; i++) {
                c.members.get(i % 3).store(NS).create(newId(), SessionDelta.builder().set("payload", new byte[256]).build());
            }
            try (CounterLoad load = new CounterLoad(NS, ids, c.members.subList(0, 3)).start()) {
                Await.until("writers started", Duration.ofSeconds(30), () -> minAcked(load) >= 10);
                long failuresBefore = load.failures.get();
                SessionGrid d = c.startMember();
                long ackedAtJoin = load.totalAcked();
                c.awaitStable();
                Await.until("writers made progress after the join", Duration.ofSeconds(30),
                        () -> load.totalAcked() > ackedAtJoin + 16 * 10);
                assertEquals(failuresBefore, load.failures.get(), "no write may fail because of a join");
                assertTrue(d.recordsHeld() > 0, "the new member holds no data");
            }
            assertNull(loadError(c));
            GridAssertions.countersSurvived(c, NS, lastLoad);
            // A commit refused while a topology was being installed may have reached one backup before
            // it failed (an unacknowledged "orphan" copy one version ahead); the session's next write
            // replaces it. Write each counter once more, then every copy must agree.
            for (String id : ids) {
                SessionStore st = c.members.get(0).store(NS);
                SessionRecord cur = st.find(id, null);
                st.commit(id, SessionDelta.builder().set("settled", new byte[] {1}).build(), cur);
            }
            GridAssertions.ownersComplete(c, 3);
        }
    }

    @Test
    void gracefulLeaveWithOneOwnerLosesNothing() {
        try (TestCluster c = new TestCluster("leave", b -> b.numOwners(1)).start(3)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                String id = newId();
                c.members.get(i % 3).store(NS).create(id, SessionDelta.builder().set("n", utf8("v" + i)).build());
                ids.add(id);
            }
            SessionGrid leaver = c.members.get(0);
            assertTrue(leaver.recordsHeld() > 0);
            leaver.close();
            c.awaitStable();
            for (int i = 0; i < ids.size(); i++) {
                SessionRecord r = c.members.get(1 + i % 2).store(NS).find(ids.get(i), null);
                assertNotNull(r, "session " + i + " lost by a graceful leave");
                assertEquals("v" + i, new String(r.attribute("n"), StandardCharsets.UTF_8));
            }
            GridAssertions.ownersComplete(c, 1);
        }
    }

    @Test
    void sessionsHeldPerNodeMatchPlacement() {
        try (TestCluster c = new TestCluster("spread").start(5)) {
            int sessions = 10_000;
            for (int i = 0; i < sessions; i++) {
                c.members.get(i % 5).store(NS).create(newId(), SessionDelta.builder().set("a", new byte[16]).build());
            }
            Topology t = c.members.get(0).topology();
            long total = 0;
            for (SessionGrid g : c.members) {
                Member me = g.node().self();
                long expected = 0;
                for (int s = 0; s < t.numSegments(); s++) {
                    if (t.current().isOwner(me, s)) {
                        // Every member's copy of a segment it owns is complete.
                        expected += sizeOfSegment(c, t, s);
                    }
                }
                assertEquals(expected, g.recordsHeld(), g.memberName() + " holds other sessions than its segments'");
                total += g.recordsHeld();
            }
            assertEquals(3L * sessions, total, "total copies must be 3 x sessions");
            GridAssertions.ownersComplete(c, 3);
        }
    }

    /** The number of records of segment s, read at its primary. */
    private static int sizeOfSegment(TestCluster c, Topology t, int s) {
        Member primary = t.primary(s);
        for (SessionGrid g : c.members) {
            if (g.node().self().equals(primary)) {
                return g.node().records().size(s);
            }
        }
        throw new AssertionError("no primary for segment " + s);
    }

    @Test
    void listSessionsSeesEveryLiveSessionOfTheNamespaceOnce() {
        try (TestCluster c = new TestCluster("list").start(3)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String id = newId();
                c.members.get(i % 3).store(NS).create(id, SessionDelta.builder().set("a", new byte[64]).build());
                ids.add(id);
            }
            c.members.get(0).store("localhost/other").create(newId(), SessionDelta.builder().build());
            c.members.get(1).store(NS).invalidate(ids.get(0));
            List<SessionRecord> listed = c.members.get(2).store(NS).listSessions();
            assertEquals(299, listed.size());
            assertEquals(new java.util.HashSet<>(ids.subList(1, 300)),
                    listed.stream().map(r -> r.key().id()).collect(java.util.stream.Collectors.toSet()));
            assertTrue(listed.stream().allMatch(r -> r.attributes().isEmpty()), "metadata only");
            assertEquals(2, c.members.get(0).listSessions("localhost/").size(), "both namespaces by prefix");
        }
    }

    @Test
    void membersHoldingACopyAreToldWhenItChanges() {
        try (TestCluster c = new TestCluster("notice").start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            SessionGrid cc = c.members.get(2);
            String id = a.store(NS).newLocalId(CoreGridTest::newId);
            a.store(NS).create(id, SessionDelta.builder().set("x", utf8("1")).build());
            java.util.Map<String, Long> noticed = new java.util.concurrent.ConcurrentHashMap<>();
            b.store(NS).setListener(new SessionListener() {
                @Override
                public void expired(SessionRecord last) {
                }

                @Override
                public void changed(String sid, long version) {
                    noticed.put(sid, version);
                }
            });
            SessionRecord onB = b.store(NS).find(id, null);
            SessionRecord onC = cc.store(NS).commit(id, SessionDelta.builder().set("x", utf8("2")).build(),
                    cc.store(NS).find(id, null));
            Await.until("B is told its copy is stale", Duration.ofSeconds(10),
                    () -> noticed.getOrDefault(id, 0L) == onC.version());
            assertTrue(onC.version() > onB.version());
            b.store(NS).setListener(null);
        }
    }

    /**
     * A primary whose own listener of the namespace takes no notices sends none: not to a member that read the
     * session and then committed elsewhere, not to the committer, not to itself. The control, the same primary
     * with a listener that takes them, sends the notice, so a primary that ignored the listener fails here.
     */
    @Test
    void aPrimaryWhoseListenerTakesNoNoticesSendsNone() {
        try (TestCluster c = new TestCluster("nonotice").start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            SessionGrid cc = c.members.get(2);
            String id = a.store(NS).newLocalId(CoreGridTest::newId);
            a.store(NS).create(id, SessionDelta.builder().set("x", utf8("1")).build());
            a.store(NS).setListener(listenerTaking(false));
            assertEquals(0, noticesSentBy(a, () -> readOnBThenCommitOnC(b, cc, id, "2")), "no listener takes them");
            a.store(NS).setListener(listenerTaking(true));
            assertEquals(1, noticesSentBy(a, () -> readOnBThenCommitOnC(b, cc, id, "3")), "B holds a stale copy");
            a.store(NS).setListener(null);
        }
    }

    private static SessionListener listenerTaking(boolean takes) {
        return new SessionListener() {
            @Override
            public void expired(SessionRecord last) {
            }

            @Override
            public boolean takesChanges() {
                return takes;
            }
        };
    }

    private static void readOnBThenCommitOnC(SessionGrid b, SessionGrid cc, String id, String value) {
        b.store(NS).find(id, null);
        cc.store(NS).commit(id, SessionDelta.builder().set("x", utf8(value)).build(), cc.store(NS).find(id, null));
    }

    /** The change notices {@code primary} sent while {@code action} ran: counted when sent, before the commit returns. */
    private static long noticesSentBy(SessionGrid primary, Runnable action) {
        java.util.function.LongSupplier sent = () -> {
            org.sessiongrid.metrics.MessageCounts n = primary.stats().messagesSentByType().get("Changed");
            return n == null ? 0 : n.messages();
        };
        long before = sent.getAsLong();
        action.run();
        return sent.getAsLong() - before;
    }

    @Test
    void asyncReplicationAcknowledgesAtThePrimaryAndReachesTheBackups() {
        try (TestCluster c = new TestCluster("async", b -> b.replicationMode(ReplicationMode.ASYNC)).start(3)) {
            SessionGrid a = c.members.get(0);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = a.store(NS).newLocalId(CoreGridTest::newId);
                SessionRecord r = a.store(NS).create(id, SessionDelta.builder().build());
                a.store(NS).commit(id, SessionDelta.builder().set("n", utf8("v" + i)).build(), r);
                ids.add(id);
            }
            // Acknowledged at the primary; the backups get the changes in the background.
            Await.until("every backup holds the last version", Duration.ofSeconds(20), () -> {
                for (String id : ids) {
                    SessionRecord p = a.node().records().get(new org.sessiongrid.session.SessionKey(NS, id));
                    for (SessionGrid g : c.members.subList(1, 3)) {
                        SessionRecord copy = g.node().records().get(p.key());
                        if (copy == null || copy.version() != p.version()) {
                            return false;
                        }
                    }
                }
                return true;
            });
            for (int i = 0; i < ids.size(); i++) {
                assertEquals("v" + i, new String(c.members.get(2).store(NS).find(ids.get(i), null).attribute("n"),
                        StandardCharsets.UTF_8));
            }
            GridAssertions.ownersComplete(c, 3);
        }
    }

    @Test
    void oversizedValueIsRefusedAtOnceNamingTheSetting() {
        try (TestCluster c = new TestCluster("oversized", b -> b.maxRecordBytes(2048)).start(2)) {
            String id = newId();
            SessionRecord base = c.members.get(0).store(NS).create(id, SessionDelta.builder().build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.members.get(1).store(NS)
                    .commit(id, SessionDelta.builder().set("big", new byte[4096]).build(), base));
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("maxRecordBytes=2048"), e.getMessage());
            assertEquals(0, c.members.get(0).stats().droppedTotal(), "nothing was sent");
            assertNull(c.members.get(0).store(NS).find(id, null).attribute("big"));
        }
    }

    @Test
    void memberWithOtherNumSegmentsIsRefusedWithAClearMessage() {
        try (TestCluster c = new TestCluster("refuse").start(1)) {
            GridStartException e = assertThrows(GridStartException.class,
                    () -> SessionGrid.start(c.config("X").numSegments(512).build()));
            assertTrue(e.getMessage().contains("numSegments=512") && e.getMessage().contains("1024"), e.getMessage());
            Await.until("the refused member left the view", Duration.ofSeconds(20),
                    () -> c.members.get(0).members().size() == 1);
        }
    }
}
