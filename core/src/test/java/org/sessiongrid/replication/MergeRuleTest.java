package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;

/**
 * The merge rule after a partition, over every pair of copies one session can have on the two sides
 * (live, invalidated, expired but not announced, expired and announced, claimed by a container but not
 * announced, claimed and announced by its claimant; each at several versions): the properties users
 * rely on, not single cases.
 */
class MergeRuleTest {

    private static final SessionKey KEY = new SessionKey("localhost/app", "S1");
    private static final long NOW = 1_700_000_000_000L;

    /** Every copy a side can hold after a split that began at version 10. */
    private static List<SessionRecord> copies() {
        List<SessionRecord> out = new ArrayList<>();
        for (long v : new long[] {10, 11, 12, (5L << 32), (5L << 32) + 1, (7L << 32)}) {
            SessionRecord live = SessionRecord.create(KEY, v, SessionDelta.builder().maxInactiveInterval(60)
                    .set("counter", new byte[] {(byte) v}).build(), 0);
            out.add(live);
            out.add(live.tombstone(v + 1, NOW, 60));
            SessionRecord expired = live.expiredTombstone(v + 1, NOW, 60);
            out.add(expired);
            out.add(expired.announced(v + 2));
            SessionRecord claimed = live.claimedTombstone(v + 1, NOW, 60, "member-a/5eed");
            out.add(claimed);
            out.add(claimed.announced(v + 2, 0x0dd1L));
        }
        return out;
    }

    @Test
    void theKeptCopyDoesNotDependOnWhichSidePushes() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                if (a.meta().lastAccessedTime() == b.meta().lastAccessedTime() && a.version() == b.version()
                        && !a.equals(b)) {
                    continue; // two different copies of one version and access time: no order to keep
                }
                assertEquals(RecordStore.merged(a, b), RecordStore.merged(b, a), a + " / " + b);
            }
        }
    }

    @Test
    void anInvalidationOnEitherSideIsKept() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                if (a.isTombstone() || b.isTombstone()) {
                    assertTrue(RecordStore.merged(a, b).isTombstone(), a + " / " + b);
                }
            }
        }
    }

    @Test
    void anExpiryAnnouncedOnEitherSideIsNotAnnouncedAgain() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                boolean announcedSomewhere = announcedTombstone(a) || announcedTombstone(b);
                if (announcedSomewhere) {
                    assertFalse(RecordStore.merged(a, b).isUnannouncedExpiry(), a + " / " + b);
                }
            }
        }
    }

    @Test
    void anExpiryNobodyAnnouncedStaysDue() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                if (a.isUnannouncedExpiry() && !b.isTombstone()) {
                    assertTrue(RecordStore.merged(a, b).isUnannouncedExpiry(), a + " / " + b);
                }
            }
        }
    }

    @Test
    void theKeptTombstoneIsAtLeastAsNewAsEitherTombstone() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                if (a.isTombstone() && b.isTombstone()) {
                    assertEquals(Math.max(a.version(), b.version()), RecordStore.merged(a, b).version(), a + " / " + b);
                }
            }
        }
    }

    /**
     * A kept end outranks both copies it came from: a member that still holds either (a stale owner, a
     * pull source in the rebalance after the merge) cannot have it stored over the end.
     */
    @Test
    void noCopyTheMergeOverrodeCanBeStoredOverAKeptEnd() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                SessionRecord kept = RecordStore.merged(a, b);
                if (!kept.isTombstone()) {
                    continue;
                }
                for (SessionRecord input : List.of(a, b)) {
                    RecordStore store = new RecordStore(16);
                    store.put(kept);
                    store.putIfNewer(input);
                    assertEquals(kept, store.get(KEY), "kept " + kept + ", then " + input + " arrived");
                }
            }
        }
    }

    /**
     * Two sides that each changed the session once from the same version end at the same version; the
     * copy of the side the user used last wins, whichever side pushes. The other rules' fixtures all have
     * one access time, so this is the test of the rule's last step.
     */
    @Test
    void betweenLiveCopiesOfTheSameVersionTheLaterAccessWinsWhicheverSidePushes() {
        for (long v : new long[] {11, (5L << 32) + 1}) {
            SessionRecord earlier = SessionRecord.create(KEY, v, SessionDelta.builder().maxInactiveInterval(60)
                    .lastAccessedTime(NOW - 5_000).set("side", new byte[] {'L'}).build());
            SessionRecord later = SessionRecord.create(KEY, v, SessionDelta.builder().maxInactiveInterval(60)
                    .lastAccessedTime(NOW).set("side", new byte[] {'R'}).build());
            assertTrue(RecordStore.better(later, earlier) && !RecordStore.better(earlier, later));
            assertEquals(later, RecordStore.merged(earlier, later), "pushed by the side used first");
            assertEquals(later, RecordStore.merged(later, earlier), "pushed by the side used last");
        }
    }

    @Test
    void betweenLiveCopiesTheHigherVersionWins() {
        for (SessionRecord a : copies()) {
            for (SessionRecord b : copies()) {
                if (!a.isTombstone() && !b.isTombstone() && a.version() != b.version()) {
                    assertEquals(a.version() > b.version() ? a : b, RecordStore.merged(a, b));
                }
            }
        }
    }

    @Test
    void aStoreKeepsTheAnnouncedCopyWhicheverArrivesFirst() {
        SessionRecord live = SessionRecord.create(KEY, 10, SessionDelta.builder().maxInactiveInterval(60).build(), 0);
        SessionRecord announcedOnA = live.expiredTombstone(11, NOW, 60).announced(12);
        SessionRecord unannouncedOnB = live.expiredTombstone(5L << 32, NOW, 60);
        for (boolean localFirst : new boolean[] {true, false}) {
            RecordStore store = new RecordStore(16);
            store.put(localFirst ? unannouncedOnB : announcedOnA);
            assertTrue(store.mergeIn(localFirst ? announcedOnA : unannouncedOnB), "two different copies: a conflict");
            SessionRecord kept = store.get(KEY);
            assertFalse(kept.isUnannouncedExpiry(), "kept " + kept);
            assertEquals(5L << 32, kept.version());
        }
    }

    private static boolean announcedTombstone(SessionRecord r) {
        return r.isTombstone() && !r.isUnannouncedExpiry();
    }
}
