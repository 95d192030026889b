package org.sessiongrid.expiry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.LockTokens;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;

/**
 * The primary's rule for an expiry a container claimed: left to the claimant while it is a member and
 * the claim is younger than the lease, announced here (listeners called once) when the claimant left the
 * topology or the lease ran out, never within the grace period of a new primary. One {@link Expirer}
 * pass at a time, on records whose claim time is set in the past, so no test waits for a clock. Also
 * the rule that an expiry is announced only where a listener can take the call.
 */
class ClaimLeaseTest {

    private static final int SEGMENTS = 16;
    private static final long LEASE = 60_000;
    private static final Member A = new Member("member-a", "A");
    private static final Member B = new Member("member-b", "B");
    private static final Topology TOPOLOGY = new Topology(7, Phase.NONE, 2,
            Placement.create(List.of(A, B), SEGMENTS, 2), null);

    private final RecordStore records = new RecordStore(SEGMENTS);
    private final List<CommitKind> commits = new CopyOnWriteArrayList<>();
    private final List<SessionRecord> fired = new CopyOnWriteArrayList<>();
    /** Whether the namespace's listener on the primary can take a call (its webapp is running). */
    private volatile boolean listening = true;

    /**
     * Stands for the primary's commit path: EXPIRE and ANNOUNCE as the Replicator applies them (only
     * the first announcement of an expiry answers OK with the last contents).
     */
    private GridMessage commit(CommitRequest req) {
        commits.add(req.kind());
        SessionRecord old = records.get(req.key());
        long next = old == null ? 1 : old.version() + 1;
        if (req.kind() == CommitKind.EXPIRE && old != null && !old.isTombstone()) {
            records.put(old.expiredTombstone(next, System.currentTimeMillis(), req.tombstoneSeconds()));
            return new CommitReply(CommitStatus.OK, next, RecordChanges.whole(old));
        }
        if (req.kind() == CommitKind.ANNOUNCE && old != null && old.isUnannouncedExpiry()) {
            records.put(old.announced(next));
            return new CommitReply(CommitStatus.OK, next, RecordChanges.whole(old));
        }
        return new CommitReply(CommitStatus.INVALIDATED, old == null ? 0 : old.version(), null);
    }

    /** The expirer of the session's primary; the other member of {@link #TOPOLOGY} is the claimant. */
    private Expirer expirerOfPrimaryOf(SessionKey key, long graceMillis) {
        Member primary = TOPOLOGY.primary(records.segmentOf(key));
        return Expirer.builder(() -> primary, () -> TOPOLOGY, records, this::commit)
                .onExpired(fired::add)
                .announceableWhen(ns -> listening)
                .graceMillis(graceMillis)
                .tombstoneSeconds(600)
                .claimLeaseMillis(LEASE)
                .build();
    }

    private SessionKey key(String id) {
        return new SessionKey("localhost/app", id);
    }

    private static String memberOtherThanPrimaryOf(SessionKey key, RecordStore records) {
        return TOPOLOGY.primary(records.segmentOf(key)).equals(A) ? B.id() : A.id();
    }

    /** A live session, then the tombstone of a claim by {@code claimant} made {@code ago} ms ago. */
    private SessionRecord claimed(SessionKey key, String claimant, long ago) {
        SessionRecord live = SessionRecord.create(key, 10, SessionDelta.builder().maxInactiveInterval(3600)
                .set("cart", new byte[] {4, 2}).build(), 0);
        SessionRecord claim = live.claimedTombstone(11, System.currentTimeMillis() - ago, 600,
                LockTokens.newToken(claimant));
        records.put(claim);
        return claim;
    }

    @Test
    void aClaimOfALiveMemberWithinItsLeaseIsLeftToTheClaimant() {
        SessionKey key = key("held");
        claimed(key, memberOtherThanPrimaryOf(key, records), 1_000);
        Expirer expirer = expirerOfPrimaryOf(key, 0);
        expirer.run();
        expirer.run();
        assertEquals(List.of(), commits, "the primary touched a claim its live claimant still holds");
        assertEquals(List.of(), fired);
        assertTrue(records.get(key).isUnannouncedExpiry());
    }

    @Test
    void aClaimWhoseClaimantLeftTheTopologyIsAnnouncedOnceByThePrimary() {
        SessionKey key = key("orphaned");
        claimed(key, "member-killed", 1_000);
        Expirer expirer = expirerOfPrimaryOf(key, 0);
        expirer.run();
        expirer.run();
        assertEquals(1, fired.size(), "listener calls");
        assertArrayEquals(new byte[] {4, 2}, fired.get(0).attribute("cart"), "the listener gets the last contents");
        assertEquals(List.of(CommitKind.ANNOUNCE), commits);
        assertFalse(records.get(key).isUnannouncedExpiry());
    }

    @Test
    void aClaimWhoseLeaseRanOutIsAnnouncedByThePrimaryAlthoughTheClaimantIsAMember() {
        SessionKey key = key("overdue");
        claimed(key, memberOtherThanPrimaryOf(key, records), LEASE + 1_000);
        expirerOfPrimaryOf(key, 0).run();
        assertEquals(1, fired.size(), "listener calls");
        assertFalse(records.get(key).isUnannouncedExpiry());
    }

    @Test
    void aNewPrimaryStillWaitsItsGracePeriod() {
        SessionKey key = key("inherited");
        claimed(key, "member-killed", 1_000);
        Expirer expirer = expirerOfPrimaryOf(key, 60_000);
        expirer.onTopology(null, TOPOLOGY);
        expirer.run();
        assertEquals(List.of(), commits, "announced within the grace period of a member that just became primary");
        assertEquals(List.of(), fired);
    }

    /** A scavenger claims thousands at once: held claims must not fill every pass's batch. */
    @Test
    void heldClaimsDoNotKeepADueSessionFromExpiring() {
        // Every session below lives in the segments of one primary, so that one expirer sees them all;
        // more held claims than one pass takes (Expirer.BATCH).
        Member primary = TOPOLOGY.primary(records.segmentOf(key("claimed-0")));
        String claimant = primary.equals(A) ? B.id() : A.id();
        int held = 0;
        for (int i = 0; held < 5_001; i++) {
            SessionKey k = key("claimed-" + i);
            if (TOPOLOGY.primary(records.segmentOf(k)).equals(primary)) {
                claimed(k, claimant, 2_000);
                held++;
            }
        }
        SessionKey due = null;
        for (int i = 0; due == null; i++) {
            SessionKey k = key("due-" + i);
            if (TOPOLOGY.primary(records.segmentOf(k)).equals(primary)) {
                due = k;
            }
        }
        long now = System.currentTimeMillis();
        // Expired after every claim was made (the index orders by time, claims first).
        records.put(SessionRecord.create(due, 10, SessionDelta.builder().creationTime(now - 2_000)
                .lastAccessedTime(now - 1_001).maxInactiveInterval(1).build(), 0));
        expirerOfPrimaryOf(due, 0).run();
        assertEquals(List.of(CommitKind.EXPIRE, CommitKind.ANNOUNCE), commits, "with " + held + " held claims");
        assertEquals(1, fired.size());
        assertEquals(due, fired.get(0).key());
    }

    /**
     * A webapp not running on the primary (starting, stopping, not deployed there): the session expires, but
     * the announcement, which promises the call, waits for a pass where the listener can take it.
     */
    @Test
    void anExpiryIsAnnouncedOnlyOnceAListenerCanTakeTheCall() {
        SessionKey key = key("no-listener-yet");
        long now = System.currentTimeMillis();
        records.put(SessionRecord.create(key, 10, SessionDelta.builder().creationTime(now - 5_000)
                .lastAccessedTime(now - 2_000).maxInactiveInterval(1).set("cart", new byte[] {7}).build(), 0));
        Expirer expirer = expirerOfPrimaryOf(key, 0);
        listening = false;
        expirer.run();
        expirer.run();
        assertEquals(List.of(CommitKind.EXPIRE), commits, "expired, and not announced with nobody to call");
        assertEquals(List.of(), fired);
        assertTrue(records.get(key).isUnannouncedExpiry());

        listening = true;
        expirer.run();
        assertEquals(List.of(CommitKind.EXPIRE, CommitKind.ANNOUNCE), commits);
        assertEquals(1, fired.size(), "listener calls");
        assertArrayEquals(new byte[] {7}, fired.get(0).attribute("cart"), "the listener gets the last contents");
    }

    /** An expiry no primary could announce for its tombstone's whole lifetime is forgotten, not kept forever. */
    @Test
    void anExpiryNobodyCouldAnnounceIsForgottenWithItsTombstone() {
        SessionKey key = key("never-deployed-here");
        SessionRecord live = SessionRecord.create(key, 10, SessionDelta.builder().maxInactiveInterval(60).build(), 0);
        // Expired 601 s ago with a 600 s tombstone.
        records.put(live.expiredTombstone(11, System.currentTimeMillis() - 601_000, 600));
        listening = false;
        expirerOfPrimaryOf(key, 0).run();
        assertEquals(null, records.get(key), "the tombstone outlived its time");
        assertEquals(List.of(), commits);
        assertEquals(List.of(), fired);
    }
}
