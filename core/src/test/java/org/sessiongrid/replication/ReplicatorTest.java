package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;

/**
 * One test per rule of the roles that need their peers to be driven: a primary ({@link PrimaryRole}) and its link to
 * its backups ({@link BackupSender}), through {@link Replicator} as the grid calls it, against three members whose
 * replicators talk through a {@link ControlledCluster} (scripted replies, held calls): A is the primary of the
 * session, B and C its backups. The roles a test drives alone have their own: {@link FenceTest}, {@link BackupRoleTest},
 * {@link CopyHoldersTest}, {@link SegmentSourceTest}.
 */
class ReplicatorTest {

    static final Member A = new Member("a", "a");
    static final Member B = new Member("b", "b");
    static final Member C = new Member("c", "c");
    static final long T = 5;

    private final ControlledCluster cluster = new ControlledCluster(A, B, C);
    private final Topology topology = cluster.topology(T);
    private final SessionKey key;
    private final ControlledCluster.Node a = cluster.node(A);
    private final ControlledCluster.Node b = cluster.node(B);
    private final ControlledCluster.Node c = cluster.node(C);

    ReplicatorTest() {
        cluster.installEverywhere(topology);
        key = cluster.keyWithPrimary(topology, A);
    }

    @AfterEach
    void close() {
        cluster.close();
    }

    private static SessionDelta set(String name, String value) {
        return SessionDelta.builder().set(name, value.getBytes(StandardCharsets.UTF_8)).build();
    }

    private CommitReply create() {
        CommitReply r = (CommitReply) a.replicator.commit(CommitRequest.create(T, key, set("n", "0"), 0));
        assertEquals(CommitStatus.OK, r.status());
        return r;
    }

    private GridMessage update(long topologyId, long base, String value) {
        return a.replicator.commit(CommitRequest.update(topologyId, key, base, set("n", value), 0, null));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(20);
        }
    }

    // ---- Fencing ----

    @Test
    void aWriteIsTakenOnlyByThePrimary() {
        GridMessage reply = b.replicator.commit(CommitRequest.create(T, key, set("n", "0"), 0), A.id());
        assertEquals(new Retry(T), reply);
        assertNull(b.records.get(key));
    }

    // ---- The restore of segments lost with a member ----

    /** {@code n} keys whose primary is A, other than {@link #key}. */
    private List<SessionKey> keysOfA(int n) {
        List<SessionKey> keys = new java.util.ArrayList<>();
        for (int i = 0; keys.size() < n; i++) {
            SessionKey k = new SessionKey("ns", "lost" + i);
            if (A.equals(topology.primary(a.records.segmentOf(k)))) {
                keys.add(k);
            }
        }
        return keys;
    }

    @Test
    void aRestoreAddsAKeptCopyOnlyWhereItsKeyIsUnknownAndReplicatesIt() {
        List<SessionKey> keys = keysOfA(3);
        SessionKey unknown = keys.get(0);
        SessionKey createdAgain = keys.get(1);
        SessionKey ended = keys.get(2);
        assertEquals(CommitStatus.OK, ((CommitReply) a.replicator.commit(CommitRequest.create(T, createdAgain,
                set("n", "new"), 0))).status());
        assertEquals(CommitStatus.OK, ((CommitReply) a.replicator.commit(CommitRequest.create(T, ended, set("n", "x"),
                0))).status());
        assertEquals(CommitStatus.OK, ((CommitReply) a.replicator.commit(CommitRequest.invalidate(T, ended, 600)))
                .status());
        // Kept copies made under an older topology, before the loss.
        long old = (T - 2) << 32 | 4;
        List<SessionRecord> kept = keys.stream().map(k -> SessionRecord.create(k, old, set("n", "kept"), 77)).toList();

        GridMessage.RestoreRecords push = new GridMessage.RestoreRecords(T, kept);
        assertEquals(new GridMessage.RestoreResult(1), a.replicator.restore(push));
        for (ControlledCluster.Node n : List.of(a, b, c)) {
            assertEquals(kept.get(0), n.records.get(unknown), "the unknown key's copy on " + n);
        }
        assertEquals("new", new String(a.records.get(createdAgain).attribute("n"), StandardCharsets.UTF_8),
                "a session created again keeps its value");
        assertTrue(a.records.get(ended).isTombstone(), "an end stands");
        assertEquals(new GridMessage.RestoreResult(1), a.replicator.restore(push), "the same push asked again");
        assertEquals(new Retry(T), b.replicator.restore(push), "only the primary takes a push");
        assertEquals(new Retry(T), a.replicator.restore(new GridMessage.RestoreRecords(T - 1, kept)),
                "a push under an older topology");
    }

    // ---- Reads at the primary ----

    @Test
    void aReadUnderThePrimarysTopologyIsAnsweredOnTheDeliveringThreadAndAnyOtherIsLeftToTheExecutor() {
        long v1 = create().version();
        GridMessage.ReadReply same = (GridMessage.ReadReply) a.replicator.read(new GridMessage.ReadRequest(T, key, v1), B.id(), false);
        assertEquals(GridMessage.ReadStatus.NOT_MODIFIED, same.status());
        GridMessage.ReadReply older = (GridMessage.ReadReply) a.replicator.read(new GridMessage.ReadRequest(T, key, 0), B.id(), false);
        assertEquals(GridMessage.ReadStatus.CHANGES, older.status());
        assertNull(a.replicator.read(new GridMessage.ReadRequest(T + 1, key, v1), B.id(), false),
                "a newer topology may mean a wait: not on the delivering thread");
        assertNull(a.replicator.read(new GridMessage.ReadRequest(T - 1, key, v1), B.id(), false),
                "an older topology is refused by the fence, on the executor");
        assertTrue(a.catchUps.isEmpty(), "nothing was waited for or caught up on the delivering thread");
        assertEquals(new Retry(T), a.replicator.read(new GridMessage.ReadRequest(T - 1, key, v1), B.id(), true));
    }

    @Test
    void aLargeRecordsChangesAreNotSentFromTheDeliveringThread() {
        CommitReply r = (CommitReply) a.replicator.commit(CommitRequest.create(T, key,
                SessionDelta.builder().set("big", new byte[100 * 1024]).build(), 0));
        assertEquals(CommitStatus.OK, r.status());
        assertNull(a.replicator.read(new GridMessage.ReadRequest(T, key, 0), B.id(), false),
                "its reply would bypass flow control");
        assertEquals(GridMessage.ReadStatus.NOT_MODIFIED, ((GridMessage.ReadReply) a.replicator.read(
                new GridMessage.ReadRequest(T, key, r.version()), B.id(), false)).status(), "nothing to send: answered");
        assertEquals(GridMessage.ReadStatus.CHANGES, ((GridMessage.ReadReply) a.replicator.read(
                new GridMessage.ReadRequest(T, key, 0), B.id(), true)).status());
    }

    // ---- Commit only what is replicated ----

    @Test
    void aCommitIsStoredAndAcknowledgedOnlyOnceEveryBackupApplied() throws Exception {
        long v1 = create().version();
        cluster.hold(ControlledCluster.from(A, C, ReplicateRequest.class));
        CompletableFuture<GridMessage> reply = CompletableFuture.supplyAsync(() -> update(T, v1, "1"));
        ControlledCluster.Call held = cluster.nextHeld();
        eventually("B applies the change", () -> b.records.get(key).version() > v1);
        assertFalse(reply.isDone(), "no acknowledgement while a backup has not answered");
        assertEquals(v1, a.records.get(key).version(), "the primary stores the change only after its backups");
        held.deliver();
        CommitReply r = (CommitReply) await(reply);
        assertEquals(CommitStatus.OK, r.status());
        assertEquals(r.version(), a.records.get(key).version());
        assertEquals(a.records.get(key), c.records.get(key));
    }

    @Test
    void aBackupsRefusalKeepsThePrimarysRecordAndAnswersRetry() {
        long v1 = create().version();
        cluster.answer(ControlledCluster.from(A, C, ReplicateRequest.class), 1, call -> new Retry(T + 1));
        GridMessage reply = update(T, v1, "1");
        assertEquals(new Retry(T + 1), reply);
        assertEquals(v1, a.records.get(key).version(), "the primary keeps its old record");
        assertTrue(b.records.get(key).version() > v1, "B applied a version the next write replaces");
        CommitReply next = (CommitReply) update(T, v1, "2");
        assertEquals(CommitStatus.OK, next.status());
        assertEquals(a.records.get(key), b.records.get(key), "the next write replaces B's unacknowledged version");
    }

    @Test
    void aWriteOwnerMissingFromTheViewMeansNothingIsApplied() {
        long v1 = create().version();
        a.view = Set.of(A, B);
        int sentBefore = cluster.sent.size();
        assertEquals(new Retry(T), update(T, v1, "1"));
        assertEquals(sentBefore, cluster.sent.size(), "nothing is sent");
        assertEquals(v1, a.records.get(key).version());
    }

    // ---- A silent backup is suspected, never skipped; every backup is waited for at once ----

    /** Suspicions a member raised, in order: who, and the commit's state when it was raised. */
    private record Suspected(Member member, boolean commitDone) {
    }

    /**
     * A, B and C whose A suspects a backup silent for 300 ms ({@link #suspicions} record it) and waits for a backup
     * up to 30 s (longer than any wait of the tests), and the session (primary A) at its first version {@link #v1}.
     */
    private final class SlowBackups implements AutoCloseable {
        final List<Suspected> suspicions = new java.util.concurrent.CopyOnWriteArrayList<>();
        final ControlledCluster cluster;
        final ControlledCluster.Node primary;
        /** The session's backups in the order the primary sends to them (its segment's write owners). */
        final ControlledCluster.Node[] owners;
        final long v1;
        private volatile CompletableFuture<GridMessage> update;

        SlowBackups() {
            cluster = new ControlledCluster(b -> b.remoteTimeoutMillis(30_000).suspectAfter(300,
                    (m, why) -> suspicions.add(new Suspected(m, update != null && update.isDone()))), A, B, C);
            cluster.installEverywhere(topology);
            primary = cluster.node(A);
            List<Member> backups = topology.writeOwners(a.records.segmentOf(key)).stream()
                    .filter(m -> !m.equals(A)).toList();
            assertEquals(2, backups.size());
            owners = new ControlledCluster.Node[] {cluster.node(backups.get(0)), cluster.node(backups.get(1))};
            v1 = ((CommitReply) primary.replicator.commit(CommitRequest.create(T, key, set("n", "0"), 0))).version();
        }

        /** Holds the requests {@code held} matches and starts A's update of the session on another thread. */
        CompletableFuture<GridMessage> update(java.util.function.Predicate<ControlledCluster.Call> held) {
            cluster.hold(held);
            update = CompletableFuture.supplyAsync(() -> primary.replicator.commit(
                    CommitRequest.update(T, key, v1, set("n", "1"), 0, null)));
            return update;
        }

        @Override
        public void close() {
            cluster.close();
        }
    }

    @Test
    void aWriteWhoseFirstBackupIsSilentSuspectsItAndWaitsForItAfterTheOtherAnswered() throws Exception {
        try (SlowBackups slow = new SlowBackups()) {
            Member first = slow.owners[0].member;
            CompletableFuture<GridMessage> reply = slow.update(ControlledCluster.from(A, first, ReplicateRequest.class));
            ControlledCluster.Call held = slow.cluster.nextHeld();
            eventually("the second backup applies the change", () -> slow.owners[1].records.get(key).version() > slow.v1);
            eventually("the silent first backup is suspected", () -> !slow.suspicions.isEmpty());
            assertEquals(List.of(new Suspected(first, false)), slow.suspicions,
                    "only the silent backup is suspected, while the write waits");
            assertFalse(reply.isDone(), "no acknowledgement while the first backup has not answered");
            assertEquals(slow.v1, slow.primary.records.get(key).version());
            held.deliver();
            assertEquals(CommitStatus.OK, ((CommitReply) await(reply)).status());
            assertEquals(slow.primary.records.get(key), slow.owners[0].records.get(key));
            assertEquals(slow.primary.records.get(key), slow.owners[1].records.get(key));
            assertEquals(1, slow.suspicions.size(), "suspected once");
        }
    }

    /** Fails where the backups are waited for one after the other: the second is then never suspected. */
    @Test
    void everyBackupSilentAtBackupTimeoutIsSuspectedWhileTheWriteWaits() throws Exception {
        try (SlowBackups slow = new SlowBackups()) {
            CompletableFuture<GridMessage> reply = slow.update(c -> c.request instanceof ReplicateRequest);
            ControlledCluster.Call toFirst = slow.cluster.nextHeld();
            ControlledCluster.Call toSecond = slow.cluster.nextHeld();
            eventually("both silent backups are suspected", () -> slow.suspicions.size() >= 2);
            assertEquals(Set.of(new Suspected(slow.owners[0].member, false), new Suspected(slow.owners[1].member, false)),
                    Set.copyOf(slow.suspicions), "each silent backup, while the write waits");
            toFirst.deliver();
            eventually("the first backup applies the change", () -> slow.owners[0].records.get(key).version() > slow.v1);
            assertFalse(reply.isDone(), "no acknowledgement while the second backup has not answered");
            toSecond.deliver();
            assertEquals(CommitStatus.OK, ((CommitReply) await(reply)).status());
            assertEquals(2, slow.suspicions.size(), "each suspected once");
            assertEquals(slow.primary.records.get(key), slow.owners[1].records.get(key));
        }
    }

    // ---- Versions ----

    @Test
    void aPrimaryMakesVersionsAtLeastItsTopologyIdShifted() {
        long v1 = create().version();
        assertEquals(T << 32, v1);
        long v2 = ((CommitReply) update(T, v1, "1")).version();
        assertEquals(v1 + 1, v2);
        cluster.installEverywhere(cluster.topology(T + 1));
        long v3 = ((CommitReply) update(T + 1, v2, "2")).version();
        assertEquals((T + 1) << 32, v3, "a primary of a newer topology dominates every version of an older one");
    }

    @Test
    void aPrimarySendsTheWholeRecordToABackupThatMissedAChange() {
        long v1 = create().version();
        SessionRecord stale = c.records.get(key);
        update(T, v1, "1");
        c.records.put(stale); // C missed version v1 + 1
        long v3 = ((CommitReply) update(T, v1 + 1, "2")).version();
        List<ReplicateRequest> toC = cluster.sentTo(C, ReplicateRequest.class);
        ReplicateRequest partial = toC.get(toC.size() - 2);
        ReplicateRequest whole = toC.get(toC.size() - 1);
        assertEquals(v1 + 1, partial.changes().baseVersion());
        assertEquals(0, whole.changes().baseVersion(), "the primary resends the whole record");
        assertEquals(1, a.stats.fullRecordResends());
        assertEquals(v3, c.records.get(key).version());
        assertEquals(a.records.get(key), c.records.get(key));
    }

    // ---- Order ----

    @Test
    void oneSessionsChangesReachTheBackupsInThePrimarysOrder() throws Exception {
        long v1 = create().version();
        cluster.hold(ControlledCluster.from(A, B, ReplicateRequest.class));
        CompletableFuture<GridMessage> first = CompletableFuture.supplyAsync(() -> update(T, v1, "1"));
        ControlledCluster.Call firstToB = cluster.nextHeld();
        CompletableFuture<GridMessage> second = CompletableFuture.supplyAsync(() -> update(T, v1, "2"));
        assertNull(cluster.heldWithin(300), "the second change waits for the key lock until the first is answered");
        firstToB.deliver();
        assertEquals(CommitStatus.OK, ((CommitReply) await(first)).status());
        ControlledCluster.Call secondToB = cluster.nextHeld();
        assertEquals(((CommitReply) await(first)).version(),
                ((ReplicateRequest) secondToB.request).changes().baseVersion(), "the second builds on the first");
        secondToB.deliver();
        CommitReply r = (CommitReply) await(second);
        assertEquals(v1 + 2, r.version());
        assertEquals(a.records.get(key), b.records.get(key));
        assertEquals(a.records.get(key), c.records.get(key));
    }

    // ---- An end stands ----

    @Test
    void aPrimaryAdoptsAnEndABackupHolds() throws Exception {
        long v1 = create().version();
        SessionRecord ended = c.records.get(key).tombstone(v1 + 5, System.currentTimeMillis(), 600);
        c.records.put(ended); // C's copy says the session ended; A's copy missed it

        GridMessage reply = update(T, v1, "1");
        assertEquals(CommitStatus.INVALIDATED, ((CommitReply) reply).status(), "the update is not acknowledged");
        assertTrue(a.records.get(key).isTombstone(), "the primary adopts the end");
        assertEquals(ended, c.records.get(key), "the backup keeps its end");
        eventually("B gets the end too", () -> b.records.get(key).isTombstone());
    }

    // ---- An honoured announcement reaches every owner ----

    @Test
    void anAnnouncementABackupTookIsHonouredAndResentToTheBackupThatRefused() throws Exception {
        long longAgo = System.currentTimeMillis() - 600_000;
        a.replicator.commit(CommitRequest.create(T, key, SessionDelta.builder().creationTime(longAgo)
                .lastAccessedTime(longAgo).maxInactiveInterval(1).build(), 0));
        CommitReply expired = (CommitReply) a.replicator.commit(CommitRequest.expire(T, key, 600));
        assertEquals(CommitStatus.OK, expired.status());
        assertTrue(c.records.get(key).isUnannouncedExpiry());

        cluster.answer(ControlledCluster.from(A, C, ReplicateRequest.class), 2, call -> new Retry(T));
        CommitReply announced = (CommitReply) a.replicator.commit(CommitRequest.announce(T, key, 600, 0));
        assertEquals(CommitStatus.OK, announced.status(), "B recorded it: refusing now would leave the call to nobody");
        assertFalse(a.records.get(key).isUnannouncedExpiry());
        assertFalse(b.records.get(key).isUnannouncedExpiry());
        eventually("C gets the announced copy once it takes it", () -> !c.records.get(key).isUnannouncedExpiry());
        assertEquals(a.records.get(key), c.records.get(key));
        assertTrue(cluster.sentTo(C, ReplicateRequest.class).stream().map(ReplicateRequest::changes)
                .filter(ch -> ch.baseVersion() == 0).map(RecordChanges::version).count() >= 2, "resent whole");
    }

    @Test
    void anAnnouncementNoBackupTookIsRefused() {
        long longAgo = System.currentTimeMillis() - 600_000;
        a.replicator.commit(CommitRequest.create(T, key, SessionDelta.builder().creationTime(longAgo)
                .lastAccessedTime(longAgo).maxInactiveInterval(1).build(), 0));
        a.replicator.commit(CommitRequest.expire(T, key, 600));
        cluster.answer(c2 -> c2.request instanceof ReplicateRequest, 2, call -> new Retry(T + 1));
        assertInstanceOf(Retry.class, a.replicator.commit(CommitRequest.announce(T, key, 600, 0)));
        assertTrue(a.records.get(key).isUnannouncedExpiry(), "left for a later pass");
    }
}
