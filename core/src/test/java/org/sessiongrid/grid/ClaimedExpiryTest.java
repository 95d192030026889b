package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.SegmentHash;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * A container's expiry claim ({@link SessionStore#claimExpiry}): the claimant owes the listener calls and
 * announces before making them; the grid calls {@link SessionListener#expired} itself, once, only for a
 * claim whose claimant died before announcing (a Jetty scavenger's node killed between its claims and its
 * listener calls).
 */
class ClaimedExpiryTest {

    private static final String NS = "localhost/claims";
    private static final byte[] CART = {1, 2, 3, 42};

    /** Listener calls per session id: the member that made each, and the record it got. */
    private final Map<String, List<String>> firedBy = new ConcurrentHashMap<>();
    private final Map<String, SessionRecord> firedWith = new ConcurrentHashMap<>();

    private void listenOnEveryMember(TestCluster c) {
        for (SessionGrid g : c.members) {
            g.store(NS).setListener(last -> {
                firedBy.computeIfAbsent(last.key().id(), k -> new CopyOnWriteArrayList<>()).add(g.memberName());
                firedWith.put(last.key().id(), last);
            });
        }
    }

    /** A new session whose primary is {@code primary}, with a timeout the grid's own expiry never reaches here. */
    private static String sessionWithPrimary(SessionGrid primary) {
        String id;
        do {
            id = UUID.randomUUID().toString();
        } while (!primary.store(NS).isLocalPrimary(id));
        primary.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(3600).set("cart", CART).build());
        return id;
    }

    /**
     * A session of the primary of {@code sameSegmentAs}, in the same segment, that the grid expires within
     * about a second: when its listener call arrives, the primary's expirer has made a pass, past its grace
     * period, over every expiry that was due before it (the index orders by time).
     */
    private static String shortSessionBeside(SessionGrid primary, String sameSegmentAs) {
        int segments = primary.config().numSegments();
        int segment = SegmentHash.segmentOf(sameSegmentAs, segments);
        String id;
        do {
            id = UUID.randomUUID().toString();
        } while (SegmentHash.segmentOf(id, segments) != segment);
        primary.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1).build());
        return id;
    }

    /** True if no live member holds an expiry of the session that is still to be announced. */
    private static boolean nothingLeftToAnnounce(TestCluster c, String id) {
        for (SessionGrid g : c.live()) {
            SessionRecord r = g.node().records().get(new SessionKey(NS, id));
            if (r != null && r.isUnannouncedExpiry()) {
                return false;
            }
        }
        return true;
    }

    @Test
    void claimsOfAMemberKilledBeforeItAnnouncedAreAnnouncedOnceByThePrimary() throws Exception {
        try (TestCluster c = new TestCluster("claim-killed", b -> b.accessTimeGranularity(100)).start(3)) {
            listenOnEveryMember(c);
            SessionGrid claimant = c.members.get(0);
            // One session whose primary survives the claimant, one whose primary is the claimant itself
            // (then a backup becomes primary and announces it after its grace period).
            String elsewhere = sessionWithPrimary(c.members.get(1));
            String onClaimant = sessionWithPrimary(claimant);
            for (String id : List.of(elsewhere, onClaimant)) {
                SessionRecord last = claimant.store(NS).claimExpiry(id);
                assertNotNull(last, "the claim of live session " + id);
                assertArrayEquals(CART, last.attribute("cart"), "the claim returns the last contents");
                assertNull(c.members.get(2).store(NS).find(id, null), "a claimed session is ended for everyone");
            }
            assertEquals(Map.of(), firedBy, "the grid called listeners for claims its live claimant still holds");

            c.halt(claimant);
            Await.until("both claims of the killed member were announced", Duration.ofSeconds(60),
                    () -> firedBy.containsKey(elsewhere) && firedBy.containsKey(onClaimant), firedBy::toString);
            for (String id : List.of(elsewhere, onClaimant)) {
                // Recorded at every live owner before the call: nothing is left that could call again.
                assertTrue(nothingLeftToAnnounce(c, id), "an owner still holds an unannounced expiry of " + id);
                assertEquals(1, firedBy.get(id).size(), "listener calls for " + id + ": " + firedBy.get(id));
                assertArrayEquals(CART, firedWith.get(id).attribute("cart"), "the listener gets the attributes");
            }
        }
    }

    @Test
    void aLiveClaimantThatAnnouncesIsNeverPreemptedByTheGrid() throws Exception {
        try (TestCluster c = new TestCluster("claim-live", b -> b.accessTimeGranularity(100)).start(3)) {
            listenOnEveryMember(c);
            SessionGrid claimant = c.members.get(0);
            SessionGrid primary = c.members.get(1);
            String id = sessionWithPrimary(primary);
            assertNotNull(claimant.store(NS).claimExpiry(id));
            assertThrows(SessionExistsException.class, () -> primary.store(NS).create(id, SessionDelta.builder().build()),
                    "a claimed session's id must stay refused like an invalidated one's");

            String probe = shortSessionBeside(primary, id);
            Await.until("the primary expired a session due after the claim", Duration.ofSeconds(30),
                    () -> firedBy.containsKey(probe));
            assertFalse(firedBy.containsKey(id), "the primary announced a claim whose claimant is alive: "
                    + firedBy.get(id));

            assertTrue(claimant.store(NS).announceExpiry(id), "the claimant's announcement");
            assertFalse(claimant.store(NS).announceExpiry(id), "a second announcement must not call again");
            assertTrue(nothingLeftToAnnounce(c, id));

            String laterProbe = shortSessionBeside(primary, id);
            Await.until("the primary expired another session after the announcement", Duration.ofSeconds(30),
                    () -> firedBy.containsKey(laterProbe));
            assertFalse(firedBy.containsKey(id), "the grid called listeners the claimant called: " + firedBy.get(id));
        }
    }

    @Test
    void onlyTheCallThatEndsALiveSessionClaimsIt() throws Exception {
        try (TestCluster c = new TestCluster("claim-once").start(2)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            String invalidated = sessionWithPrimary(b);
            assertTrue(a.store(NS).invalidate(invalidated));
            assertNull(a.store(NS).claimExpiry(invalidated), "claim of an invalidated session");
            assertFalse(a.store(NS).announceExpiry(invalidated), "announcement of an invalidated session");

            assertNull(a.store(NS).claimExpiry("never-created"), "claim of a session that never existed");
            assertFalse(a.store(NS).announceExpiry("never-created"));

            String live = sessionWithPrimary(b);
            assertFalse(a.store(NS).announceExpiry(live), "announcement of a session nobody claimed");
            assertNotNull(a.store(NS).find(live, null), "an announcement must not end a live session");

            assertNotNull(a.store(NS).claimExpiry(live));
            assertNull(b.store(NS).claimExpiry(live), "a second claim (another member's scavenger)");
            assertNull(a.store(NS).claimExpiry(live), "a second claim by the same member");
            assertTrue(a.store(NS).announceExpiry(live));
            assertFalse(a.store(NS).announceExpiry(live), "announce twice");
            assertFalse(a.store(NS).invalidate(live), "the ended session is a tombstone");
        }
    }

    /**
     * An announcement that one backup took and another refused (frozen for a merge after a partition) is
     * honoured: the backup cannot take it back, and a merge keeps its announced copy over the
     * primary's, so refusing would leave the listener call to nobody.
     */
    @Test
    void anAnnouncementOneBackupTookIsHonouredWhenAnotherRefusesIt() throws Exception {
        // The freeze of a merge that never comes lasts leaveTimeout: long enough to see the refusal, short
        // enough for the re-sent announced copy to reach the frozen backup afterwards.
        try (TestCluster c = new TestCluster("claim-partial", b -> b.leaveTimeout(6_000)).start(3)) {
            c.awaitStable();
            SessionGrid a = c.members.get(0);
            String id = sessionWithPrimary(a);
            assertNotNull(a.store(NS).claimExpiry(id));
            SessionOwners owners = a.store(NS).owners(id);
            assertEquals(2, owners.backups().size(), "owners " + owners);
            SessionGrid frozen = c.members.stream().filter(g -> g.memberName().equals(owners.backups().get(1)))
                    .findFirst().orElseThrow();
            SessionGrid taking = c.members.stream().filter(g -> g.memberName().equals(owners.backups().get(0)))
                    .findFirst().orElseThrow();
            // The frozen backup's part of a merge: it pushed its records for a merged topology it has not
            // installed, and refuses changes until it does.
            org.sessiongrid.topology.Topology now = frozen.node().topology();
            org.sessiongrid.topology.Topology target = new org.sessiongrid.topology.Topology(now.id() + 100,
                    org.sessiongrid.topology.Phase.NONE, now.numOwners(), now.current(), null);
            assertTrue(a.node().transport().request(frozen.node().self(),
                    new org.sessiongrid.wire.GridMessage.MergePush(target.id(), target), 10_000).get()
                    instanceof org.sessiongrid.wire.GridMessage.MergeResult);

            assertTrue(a.store(NS).announceExpiry(id), "the announcement the other backup took");
            SessionKey key = new SessionKey(NS, id);
            assertFalse(a.node().records().get(key).isUnannouncedExpiry(), "the primary's copy");
            assertFalse(taking.node().records().get(key).isUnannouncedExpiry(), "the backup that took it");
            assertTrue(frozen.node().records().get(key).isUnannouncedExpiry(), "the frozen backup took nothing");

            // The refusing backup gets the announced copy once it takes changes again: left with the unannounced
            // one, it would announce (and call) once more if it were promoted after the other two died (a backup
            // refuses on a topology change, then the two holding the announced copy are killed together).
            Await.until("the refusing backup holds the announced copy", Duration.ofSeconds(30),
                    () -> !frozen.node().records().get(key).isUnannouncedExpiry());
            assertTrue(frozen.node().records().get(key).isEnded());
        }
    }

    /**
     * A primary whose copy missed an announced expiry (a stale backup copy promoted after a failure) does
     * not announce it again, and no update brings the session back: a backup's ended copy stands, whatever
     * its version, and the primary adopts it.
     */
    @Test
    void aStalePrimaryCopyDoesNotAnnounceAnExpiryABackupHoldsAnnounced() throws Exception {
        try (TestCluster c = new TestCluster("claim-stale").start(3)) {
            c.awaitStable();
            SessionGrid a = c.members.get(0);
            String id = sessionWithPrimary(a);
            SessionKey key = new SessionKey(NS, id);
            assertNotNull(a.store(NS).claimExpiry(id));
            SessionRecord unannounced = a.node().records().get(key);
            assertTrue(a.store(NS).announceExpiry(id), "the first announcement");
            List<SessionGrid> backups = endedOnBackupsUnderALaterVersion(c, a, key);
            a.node().records().put(unannounced);

            assertFalse(a.store(NS).announceExpiry(id), "a second announcement would call the listeners twice");
            assertTrue(a.node().records().get(key).isEnded(), "the primary adopted the end");
            assertStillEnded(backups, key);
        }
    }

    /** A stale live copy at the primary cannot bring an invalidated session back with an update. */
    @Test
    void aStaleLivePrimaryCopyCannotReviveASessionABackupHoldsInvalidated() throws Exception {
        try (TestCluster c = new TestCluster("claim-revive").start(3)) {
            c.awaitStable();
            SessionGrid a = c.members.get(0);
            String id = sessionWithPrimary(a);
            SessionKey key = new SessionKey(NS, id);
            SessionRecord live = a.node().records().get(key);
            assertTrue(a.store(NS).invalidate(id));
            List<SessionGrid> backups = endedOnBackupsUnderALaterVersion(c, a, key);
            a.node().records().put(live);

            assertThrows(SessionGoneException.class, () -> a.store(NS).commit(id,
                    SessionDelta.builder().set("cart", new byte[] {9}).build(), live));
            assertTrue(a.node().records().get(key).isTombstone(), "the primary adopted the end");
            assertStillEnded(backups, key);
        }
    }

    /**
     * The backups of {@code primary}, each of whose ended copy of {@code key} is re-versioned as if made under a
     * later topology than the stale copy the test then gives the primary (whose next version would otherwise
     * equal the backups' and pass for the same change).
     */
    private static List<SessionGrid> endedOnBackupsUnderALaterVersion(TestCluster c, SessionGrid primary, SessionKey key) {
        List<SessionGrid> backups = c.members.stream().filter(g -> g != primary).toList();
        for (SessionGrid b : backups) {
            SessionRecord ended = b.node().records().get(key);
            assertTrue(ended.isEnded(), b.memberName() + " holds the ended copy");
            b.node().records().put(ended.withMeta(ended.meta(), ended.version() + 5));
        }
        return backups;
    }

    private static void assertStillEnded(List<SessionGrid> backups, SessionKey key) {
        for (SessionGrid b : backups) {
            assertTrue(b.node().records().get(key).isEnded(), b.memberName() + " kept its ended copy");
        }
    }
}
