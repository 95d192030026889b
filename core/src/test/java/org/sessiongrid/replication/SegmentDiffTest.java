package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.CopyStamp;
import org.sessiongrid.wire.GridMessage.StateDiff;
import org.sessiongrid.wire.GridMessage.Touch;

/**
 * The source's answer to a catch-up digest: a named copy of the same content stays home (a later access time
 * travels alone), anything else travels whole, a named copy the source no longer holds is gone, and an answer cut
 * short by its record limit settles exactly the keys up to where it stopped.
 */
class SegmentDiffTest {

    private static final long NOW = 1_700_000_000_000L;

    private static SessionKey key(String id) {
        return new SessionKey("localhost/app", id);
    }

    private static SessionRecord record(String id, long version, long opId) {
        return SessionRecord.create(key(id), version, SessionDelta.builder().creationTime(NOW).lastAccessedTime(NOW)
                .set("v", new byte[] {(byte) version}).build(), opId);
    }

    @Test
    void onlyWhatDiffersTravelsAndWhatTheSourceLacksIsGone() {
        SessionRecord same = record("a", 10, 1);
        SessionRecord touched = record("b", 10, 3);
        SessionRecord changed = record("c", 12, 5);
        SessionRecord created = record("d", 11, 7);
        SessionRecord reused = record("f", 10, 9);
        List<CopyStamp> digest = List.of(
                CopyStamp.of(same),
                new CopyStamp(key("b"), 10, 3, NOW - 5_000),
                CopyStamp.of(record("c", 10, 5)),
                CopyStamp.of(record("e", 10, 11)),
                // The same version made by another commit (one that was never acknowledged here).
                CopyStamp.of(record("f", 10, 13)));

        StateDiff diff = SegmentDiff.answer(List.of(same, touched, changed, created, reused), digest, null, 100);

        assertEquals(List.of(changed, created, reused), diff.records());
        assertEquals(List.of(key("e")), diff.gone());
        assertEquals(List.of(new Touch(key("b"), NOW)), diff.touches());
        assertTrue(diff.last());
        assertNull(diff.through());
    }

    @Test
    void anAnswerCutShortSettlesTheKeysUpToWhereItStopped() {
        List<CopyStamp> digest = List.of(CopyStamp.of(record("a", 1, 1)), CopyStamp.of(record("c", 1, 1)),
                CopyStamp.of(record("e", 1, 1)), CopyStamp.of(record("g", 1, 1)));
        List<SessionRecord> held = List.of(record("b", 2, 1), record("c", 2, 1), record("d", 2, 1), record("g", 1, 1));

        StateDiff diff = SegmentDiff.answer(held, digest, key("g"), 2);

        assertEquals(List.of(record("b", 2, 1), record("c", 2, 1)), diff.records());
        assertEquals(List.of(key("a")), diff.gone(), "a lies below where the answer stopped; e lies beyond it");
        assertEquals(key("c"), diff.through());
        assertFalse(diff.last());
    }

    @Test
    void aDigestThatEndsBeforeTheSegmentDoesSaysWhereTheAnswerEnds() {
        List<CopyStamp> digest = List.of(CopyStamp.of(record("a", 1, 1)), CopyStamp.of(record("c", 1, 1)));

        StateDiff diff = SegmentDiff.answer(List.of(record("a", 1, 1), record("b", 1, 1)), digest, key("c"), 10);

        assertEquals(List.of(record("b", 1, 1)), diff.records());
        assertEquals(List.of(key("c")), diff.gone());
        assertEquals(key("c"), diff.through(), "the rest of the segment is for the next round trip");
        assertFalse(diff.last());
    }
}
