package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.StateDigest;

/**
 * A member back from an absence (C) pulls the segments it gains from A with a digest of the copies it kept: only
 * what changed meanwhile travels, what ended stays ended, kept copies reach its store only once A's answer says
 * they are current, and a source of an older version (it cannot decode a digest and answers {@link Failure}) gets
 * asked for whole chunks instead. Over {@link ControlledCluster}: the segment transfer and nothing else.
 */
class CatchUpPullTest {

    private static final Member A = new Member("a", "A");
    private static final Member B = new Member("b", "B");
    private static final Member C = new Member("c", "C");
    private static final int SESSIONS = 200;
    private static final long NOW = System.currentTimeMillis();

    private final ControlledCluster cluster = new ControlledCluster(A, B, C);
    private final ExecutorService lanes = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        lanes.shutdownNow();
        cluster.close();
    }

    /** C joins A and B as an owner of every segment: A and B are the current owners, C pulls everything. */
    private Topology rebalance() {
        Topology t = new Topology(2, Phase.READ_OLD_WRITE_ALL, 3, Placement.create(List.of(A, B), ControlledCluster.SEGMENTS, 2),
                Placement.create(List.of(A, B, C), ControlledCluster.SEGMENTS, 3));
        cluster.installEverywhere(t);
        return t;
    }

    private SegmentPuller pullerOf(ControlledCluster.Node n) {
        return new SegmentPuller(() -> n.member, n.messenger, n.topology, n.records, 64, 2_000, n.stats, id -> { },
                lanes, n.replicator::returnCopies);
    }

    private CompletableFuture<Boolean> pullAsync(ControlledCluster.Node n, Topology t) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return pullerOf(n).pull(t);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, lanes);
    }

    private static SessionRecord session(int i, long version, long opId) {
        return SessionRecord.create(new SessionKey("ns", "s" + i), version, SessionDelta.builder().creationTime(NOW)
                .lastAccessedTime(NOW)
                .maxInactiveInterval(600).set("v", new byte[] {(byte) version}).build(), opId);
    }

    /** Every session at version 10 on A, B and in C's store, then C sets its copies aside (it was excluded). */
    private List<SessionRecord> heldBeforeTheAbsence() {
        List<SessionRecord> all = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            SessionRecord r = session(i, 10, 2L * i + 1);
            all.add(r);
            for (Member m : List.of(A, B, C)) {
                cluster.node(m).records.put(r);
            }
        }
        cluster.node(C).records.setAside(System.nanoTime() - 2_000_000_000L);
        return all;
    }

    /** What A and B store while C is away: 10 updates, 5 invalidations, 5 sessions forgotten, 5 new ones. */
    private int changesWhileAway(List<SessionRecord> held) {
        for (Member m : List.of(A, B)) {
            var records = cluster.node(m).records;
            for (int i = 0; i < 10; i++) {
                records.put(held.get(i).apply(SessionDelta.builder().set("v", new byte[] {42}).build(), 11, 99));
            }
            for (int i = 10; i < 15; i++) {
                records.put(held.get(i).tombstone(11, NOW, 600));
            }
            for (int i = 15; i < 20; i++) {
                records.remove(held.get(i).key(), records.get(held.get(i).key()));
            }
            for (int i = SESSIONS; i < SESSIONS + 5; i++) {
                records.put(session(i, 11, 7));
            }
            // A version C holds too, made by another commit than the one C applied (C's was never acknowledged).
            records.put(session(20, 10, 1_001));
            // Read meanwhile: a later access time, no new version.
            records.put(held.get(21).withMeta(held.get(21).meta().withLastAccessedTime(NOW + 60_000), 10));
        }
        return 10 + 5 + 5 + 1;
    }

    private void assertSameAsA(ControlledCluster.Node c) {
        var a = cluster.node(A).records;
        for (int i = 0; i < SESSIONS + 5; i++) {
            SessionKey k = new SessionKey("ns", "s" + i);
            assertEquals(a.get(k), c.records.get(k), "C's copy of " + k);
        }
        assertEquals(a.size(), c.records.size(), "records on C");
    }

    @Test
    void onlyWhatChangedWhileAwayTravelsAndWhatEndedStaysEnded() throws Exception {
        Topology t = rebalance();
        int changed = changesWhileAway(heldBeforeTheAbsence());
        ControlledCluster.Node c = cluster.node(C);
        cluster.hold(ControlledCluster.from(C, A, StateDigest.class));
        cluster.hold(ControlledCluster.from(C, B, StateDigest.class));

        CompletableFuture<Boolean> pull = pullAsync(c, t);
        ControlledCluster.Call first = cluster.nextHeld();
        assertEquals(0, c.records.size(), "a kept copy reached C's store before a source said it was current");
        cluster.holdNothing();
        first.deliver();
        ControlledCluster.Call next;
        while ((next = cluster.heldWithin(200)) != null) {
            next.deliver();
        }
        assertTrue(pull.get(10, TimeUnit.SECONDS), "pull completed");

        assertSameAsA(c);
        assertNull(c.records.get(new SessionKey("ns", "s15")), "a session that ended while C was away came back");
        assertEquals(NOW + 60_000, c.records.get(new SessionKey("ns", "s21")).meta().lastAccessedTime(),
                "the access time of a session read while C was away");
        assertEquals(changed, c.stats.recordsTransferred(), "records that travelled");
        assertEquals(SESSIONS - 20 - 1, c.stats.recordsKeptByCatchUps(), "kept copies that were current");
        assertEquals(1, c.stats.catchUps());
        assertEquals(0, c.records.kept().size(), "kept copies left after the pull");
    }

    @Test
    void aSourceThatCannotDecodeADigestIsAskedForWholeChunks() throws Exception {
        Topology t = rebalance();
        changesWhileAway(heldBeforeTheAbsence());
        ControlledCluster.Node c = cluster.node(C);
        // What a member of an older version answers to a message type it does not know (ClusterTransport).
        cluster.answer(call -> call.request instanceof StateDigest, Integer.MAX_VALUE,
                call -> new Failure("malformed message: unknown message type 25"));

        assertTrue(pullAsync(c, t).get(10, TimeUnit.SECONDS), "pull completed");

        assertSameAsA(c);
        assertEquals(cluster.node(A).records.size(), c.stats.recordsTransferred(), "every record travelled");
        assertEquals(0, c.stats.recordsKeptByCatchUps());
        assertEquals(0, c.records.kept().size(), "kept copies left after the pull");
    }
}
