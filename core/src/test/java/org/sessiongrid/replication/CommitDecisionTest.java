package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;

/** {@link CommitDecision#decide}, kind by kind: no cluster, no clock, no locks. */
class CommitDecisionTest {

    static final long T = 3;
    static final long NOW = 1_000_000_000L;
    static final SessionKey KEY = new SessionKey("ns", "s1");

    private static SessionDelta set(String name, String value) {
        return SessionDelta.builder().set(name, value.getBytes(StandardCharsets.UTF_8)).build();
    }

    /** A live record at {@code version}, last used at NOW - idleMillis, expiring after 60 s idle. */
    private static SessionRecord live(long version, long idleMillis) {
        return SessionRecord.create(KEY, version, SessionDelta.builder().creationTime(NOW - idleMillis)
                .lastAccessedTime(NOW - idleMillis).maxInactiveInterval(60).set("n", new byte[] {1}).build(), 7);
    }

    private static CommitDecision decide(CommitRequest req, SessionRecord old) {
        return CommitDecision.decide(req, old, T, NOW, 1_000);
    }

    private static CommitReply answer(CommitRequest req, SessionRecord old) {
        return assertInstanceOf(CommitDecision.Answer.class, decide(req, old)).reply();
    }

    private static CommitDecision.Store store(CommitRequest req, SessionRecord old) {
        return assertInstanceOf(CommitDecision.Store.class, decide(req, old));
    }

    @Test
    void versionsAreAtLeastTheTopologyIdShifted() {
        assertEquals(T << 32, store(CommitRequest.create(T, KEY, set("n", "0"), 0), null).next().version());
        assertEquals((T << 32) + 5, store(CommitRequest.update(T, KEY, (T << 32) + 4, set("n", "1"), 0, null),
                live((T << 32) + 4, 0)).next().version());
        assertEquals(T << 32, store(CommitRequest.update(T, KEY, 9, set("n", "1"), 0, null), live(9, 0)).next().version());
    }

    @Test
    void createStoresANewRecordAndRefusesAnExistingOne() {
        CommitDecision.Store s = store(CommitRequest.create(T, KEY, set("n", "0"), 11), null);
        assertArrayEquals("0".getBytes(StandardCharsets.UTF_8), s.next().attribute("n"));
        assertEquals(new CommitReply(CommitStatus.OK, T << 32, null), s.reply());
        assertFalse(s.releasesLock());

        assertEquals(CommitStatus.EXISTS, answer(CommitRequest.create(T, KEY, set("n", "0"), 12), live(4, 0)).status());
        SessionRecord ended = live(4, 0).tombstone(5, NOW, 600);
        assertEquals(new CommitReply(CommitStatus.INVALIDATED, 5, null),
                answer(CommitRequest.create(T, KEY, set("n", "0"), 12), ended));
    }

    @Test
    void aRetriedCreateIsAnsweredWithTheRecordItMade() {
        SessionRecord made = live(4, 0); // op id 7
        CommitReply r = answer(CommitRequest.create(T, KEY, set("n", "0"), 7), made);
        assertEquals(CommitStatus.OK, r.status());
        assertEquals(RecordChanges.whole(made), r.changes());
    }

    @Test
    void updateAppliesTheDeltaAndSendsBackWhatTheSenderMissed() {
        SessionRecord old = live(4, 0).apply(set("m", "x"), 5);
        CommitDecision.Store upToDate = store(CommitRequest.update(T, KEY, 5, set("n", "2"), 0, null), old);
        assertNull(upToDate.forSender(), "the sender's copy plus its delta is the new record");
        CommitDecision.Store behind = store(CommitRequest.update(T, KEY, 4, set("n", "2"), 0, null), old);
        assertEquals(4, behind.forSender().baseVersion());
        assertTrue(behind.forSender().changed().containsKey("m"), "the change the sender missed");
        assertFalse(behind.releasesLock());
    }

    @Test
    void updateOfAMissingOrEndedSessionChangesNothing() {
        assertEquals(new CommitReply(CommitStatus.MISSING, 0, null),
                answer(CommitRequest.update(T, KEY, 4, set("n", "1"), 0, null), null));
        assertEquals(new CommitReply(CommitStatus.INVALIDATED, 5, null),
                answer(CommitRequest.update(T, KEY, 4, set("n", "1"), 0, null), live(4, 0).tombstone(5, NOW, 600)));
    }

    @Test
    void aRetriedUpdateIsNotAppliedTwice() {
        SessionRecord applied = live(4, 0).apply(set("n", "1"), 5, 99);
        CommitReply r = answer(CommitRequest.update(T, KEY, 4, set("n", "1"), 99, null), applied);
        assertEquals(CommitStatus.OK, r.status());
        assertEquals(5, r.version());
    }

    @Test
    void anUpdateUnderALockItNoLongerHoldsIsLockLost() {
        SessionRecord locked = live(4, 0).withMeta(live(4, 0).meta().withLock("b/1", 7), 5);
        assertEquals(CommitStatus.LOCK_LOST,
                answer(CommitRequest.update(T, KEY, 5, set("n", "1"), 0, "a/2"), locked).status());
        assertEquals(CommitStatus.OK,
                store(CommitRequest.update(T, KEY, 5, set("n", "1"), 0, "b/1"), locked).reply().status());
    }

    @Test
    void invalidateEndsTheSessionAndReleasesWaiters() {
        CommitDecision.Store s = store(CommitRequest.invalidate(T, KEY, 600), live(4, 0));
        assertTrue(s.next().isTombstone());
        assertFalse(s.next().isUnannouncedExpiry());
        assertTrue(s.releasesLock());
        assertNull(s.forSender());
    }

    @Test
    void expiryWaitsOneSlackPastTheExpiryTime() {
        // Expires 60 s after its last access; the slack is 1 s.
        assertEquals(CommitStatus.NOT_EXPIRED, answer(CommitRequest.expire(T, KEY, 600), live(4, 60_500)).status());
        CommitDecision.Store s = store(CommitRequest.expire(T, KEY, 600), live(4, 61_500));
        assertTrue(s.next().isUnannouncedExpiry(), "expired, not announced yet");
        assertEquals(RecordChanges.whole(live(4, 61_500)), s.forSender(), "the caller gets what expired");
        assertTrue(s.releasesLock());
    }

    @Test
    void aClaimEndsTheSessionAsAnExpiryNamingTheClaimAndStandsWhenRetried() {
        CommitDecision.Store s = store(CommitRequest.claim(T, KEY, 600, "c/9"), live(4, 0));
        assertEquals("c/9", s.next().claimToken());
        assertTrue(s.releasesLock());
        CommitReply again = answer(CommitRequest.claim(T, KEY, 600, "c/9"), s.next());
        assertEquals(CommitStatus.OK, again.status());
        assertEquals(CommitStatus.INVALIDATED, answer(CommitRequest.claim(T, KEY, 600, "d/1"), s.next()).status());
    }

    @Test
    void anAnnouncementTurnsAnUnannouncedExpiryIntoAnAnnouncedOneOnce() {
        SessionRecord expired = live(4, 70_000).expiredTombstone(5, NOW, 600);
        CommitDecision.Store s = store(CommitRequest.announce(T, KEY, 600, 42), expired);
        assertTrue(s.next().isTombstone());
        assertFalse(s.next().isUnannouncedExpiry());
        assertEquals(RecordChanges.whole(expired), s.forSender());
        assertFalse(s.releasesLock());
        assertEquals(new CommitReply(CommitStatus.OK, s.next().version(), null),
                answer(CommitRequest.announce(T, KEY, 600, 42), s.next()), "the same announcement retried");
        assertEquals(CommitStatus.INVALIDATED, answer(CommitRequest.announce(T, KEY, 600, 43), s.next()).status(),
                "announced already: nothing to call");
        assertEquals(new CommitReply(CommitStatus.INVALIDATED, 0, null),
                answer(CommitRequest.announce(T, KEY, 600, 0), null));
    }

    @Test
    void lockTakesAndUnlockReleases() {
        CommitDecision.Store locked = store(CommitRequest.lock(T, KEY, "a/1", 100), live(4, 0));
        assertEquals("a/1", locked.next().meta().lockOwner());
        assertFalse(locked.releasesLock());
        assertEquals(new CommitReply(CommitStatus.OK, locked.next().version(), null),
                answer(CommitRequest.lock(T, KEY, "a/1", 100), locked.next()), "held already by the same token");
        assertEquals(CommitStatus.OK, answer(CommitRequest.unlock(T, KEY, "b/1"), locked.next()).status(),
                "another token's unlock changes nothing");
        CommitDecision.Store unlocked = store(CommitRequest.unlock(T, KEY, "a/1"), locked.next());
        assertNull(unlocked.next().meta().lockOwner());
        assertTrue(unlocked.releasesLock());
        assertEquals(CommitStatus.MISSING, answer(CommitRequest.lock(T, KEY, "a/1", 100), null).status());
    }

    /**
     * A zombie write: the request read the session under topology 1, its member was then paused and
     * expelled, and under topology 2 the promoted primary stored a newer value of the attribute the request
     * writes. Written over, that value (acknowledged to the user) would silently go back in time.
     */
    @Test
    void anUpdateThatWouldOverwriteANewerTopologysChangeIsFenced() {
        long read = (1L << 32) + 4;
        SessionRecord base = live(read, 0).apply(set("counter", "1"), read);
        SessionRecord current = base.apply(set("counter", "5"), 2L << 32);

        CommitReply fenced = answer(CommitRequest.update(T, KEY, read, set("counter", "2"), 21, null), current);
        assertEquals(new CommitReply(CommitStatus.FENCED, 2L << 32, null), fenced);
        assertEquals("counter", CommitDecision.overwrittenAttribute(
                CommitRequest.update(T, KEY, read, set("counter", "2"), 21, null), current));
        assertEquals(CommitStatus.FENCED, answer(CommitRequest.update(T, KEY, read,
                SessionDelta.builder().remove("counter").build(), 22, null), current).status(), "a removal of it too");

        SessionRecord removedSince = base.apply(SessionDelta.builder().remove("counter").build(), 2L << 32);
        assertEquals(CommitStatus.FENCED, answer(CommitRequest.update(T, KEY, read, set("counter", "2"), 23, null),
                removedSince).status(), "setting an attribute the newer topology removed puts the removal back");
    }

    @Test
    void whatTheNewerTopologyDidNotChangeIsMergedAsEver() {
        long read = (1L << 32) + 4;
        SessionRecord base = live(read, 0).apply(set("counter", "1"), read);
        SessionRecord current = base.apply(set("other", "x"), 2L << 32);
        CommitDecision.Store s = store(CommitRequest.update(T, KEY, read, set("counter", "2"), 24, null), current);
        assertArrayEquals("2".getBytes(StandardCharsets.UTF_8), s.next().attribute("counter"));
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), s.next().attribute("other"));
    }

    @Test
    void concurrentUpdatesUnderOneTopologyKeepTheLastWriter() {
        long read = (T << 32) + 4;
        SessionRecord current = live(read, 0).apply(set("counter", "5"), read + 1);
        CommitDecision.Store s = store(CommitRequest.update(T, KEY, read, set("counter", "2"), 25, null), current);
        assertArrayEquals("2".getBytes(StandardCharsets.UTF_8), s.next().attribute("counter"));

        SessionRecord older = live((1L << 32) + 4, 0);
        assertInstanceOf(CommitDecision.Store.class, decide(CommitRequest.update(T, KEY, older.version(),
                set("counter", "2"), 26, null), older), "a base that is the current record is never fenced");
    }

    /**
     * A late logout: the request read the session under topology 1, its member was paused and expelled, and
     * the user went on under topology 2. Its invalidation, naming that base, would end the session under them.
     */
    @Test
    void anInvalidationOfASessionChangedUnderANewerTopologySinceItsBaseIsFenced() {
        long read = (1L << 32) + 4;
        SessionRecord base = live(read, 0).apply(set("counter", "1"), read);
        SessionRecord current = base.apply(set("other", "x"), 2L << 32);

        assertEquals(new CommitReply(CommitStatus.FENCED, 2L << 32, null),
                answer(CommitRequest.invalidate(T, KEY, read, 600), current), "whatever changed under the newer one");
        assertTrue(store(CommitRequest.invalidate(T, KEY, 600), current).next().isTombstone(),
                "an invalidation without a base (an older member's) ends the session as it always did");
        assertTrue(store(CommitRequest.invalidate(T, KEY, 2L << 32, 600), current).next().isTombstone(),
                "a base that is the current record");
        assertTrue(store(CommitRequest.invalidate(T, KEY, read, 600), base.apply(set("other", "x"), read + 1))
                .next().isTombstone(), "a concurrent change under the same topology: the invalidation still ends it");
    }

    /** The metadata is not dated: any change under the newer topology counts, a value already held does not. */
    @Test
    void anUpdateThatChangesMetadataOfASessionChangedUnderANewerTopologyIsFenced() {
        long read = (1L << 32) + 4;
        SessionRecord base = live(read, 0).apply(set("counter", "1"), read);
        SessionRecord current = base.apply(set("other", "x"), 2L << 32);
        int timeout = current.meta().maxInactiveInterval();

        assertEquals(CommitStatus.FENCED, answer(CommitRequest.update(T, KEY, read,
                SessionDelta.builder().maxInactiveInterval(timeout + 60).build(), 31, null), current).status(),
                "a timeout");
        assertEquals(CommitStatus.FENCED, answer(CommitRequest.update(T, KEY, read,
                SessionDelta.builder().containerData(new byte[] {7}).build(), 32, null), current).status(),
                "the container's data (Tomcat: who logged in)");
        assertInstanceOf(CommitDecision.Store.class, decide(CommitRequest.update(T, KEY, read, SessionDelta.builder()
                .maxInactiveInterval(timeout).containerData(current.meta().containerData()).build(), 33, null), current),
                "metadata the record holds already overwrites nothing");
        assertEquals(timeout + 60, store(CommitRequest.update(T, KEY, read, SessionDelta.builder()
                .maxInactiveInterval(timeout + 60).build(), 34, null), base.apply(set("other", "x"), read + 1))
                .next().meta().maxInactiveInterval(), "under the same topology the last writer's timeout stands");
    }
}
