package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;

/**
 * The rules of {@link BackupRole}, driven alone: a backup's record store and installed topology, and the changes a
 * primary would send, written here as the primary makes them ({@link SessionRecord#changesSince}).
 */
class BackupRoleTest {

    private static final long T = 5;
    private static final SessionKey KEY = new SessionKey("ns", "s");
    private static final long V1 = T << 32;

    private final InstalledTopology installed = new InstalledTopology();
    private final RecordStore records = new RecordStore(16);
    private final BackupRole backup = new BackupRole(new Fence(installed, id -> { }, new GridStats()), installed,
            records);

    BackupRoleTest() {
        installed.install(new Topology(T, Phase.NONE, 1, Placement.create(List.of(new Member("a", "a")), 16, 1),
                null));
    }

    private static SessionDelta set(String value) {
        return SessionDelta.builder().set("n", value.getBytes(StandardCharsets.UTF_8)).build();
    }

    /**
     * The primary's record at {@code V1}, as a backup that took every change holds it; made with a fixed creation
     * time, so that two made at different moments are equal.
     */
    private static SessionRecord first() {
        return SessionRecord.create(KEY, V1, SessionDelta.builder().creationTime(1_000).lastAccessedTime(1_000)
                .set("n", "0".getBytes(StandardCharsets.UTF_8)).build());
    }

    private Object replicate(RecordChanges changes) {
        return backup.replicate(new ReplicateRequest(T, changes), true);
    }

    @Test
    void aChangeAppliesOntoExactlyItsBaseVersion() {
        records.put(first());
        SessionRecord next = first().apply(set("1"), V1 + 1);
        assertEquals(new ReplicateReply(true), replicate(next.changesSince(V1)));
        assertEquals(next, records.get(KEY));
    }

    @Test
    void aChangeOntoAnotherBaseIsNotAppliedSoThatThePrimarySendsTheWholeRecord() {
        records.put(first());
        SessionRecord second = first().apply(set("1"), V1 + 1);
        SessionRecord third = second.apply(set("2"), V1 + 2);
        assertEquals(new ReplicateReply(false), replicate(third.changesSince(V1 + 1)), "this backup missed V1 + 1");
        assertEquals(first(), records.get(KEY), "the copy stays as it was");
        assertEquals(new ReplicateReply(true), replicate(third.changesSince(0)), "the whole record is authoritative");
        assertEquals(third, records.get(KEY));
    }

    @Test
    void aWholeRecordOlderThanTheCopyChangesNothing() {
        SessionRecord second = first().apply(set("1"), V1 + 1);
        records.put(second);
        assertEquals(new ReplicateReply(true), replicate(first().changesSince(0)), "a late duplicate");
        assertEquals(second, records.get(KEY));
    }

    @Test
    void anEndStandsAgainstAnyOtherVersionAndTheBackupSaysSo() {
        SessionRecord ended = first().tombstone(V1 + 5, System.currentTimeMillis(), 600);
        records.put(ended);
        // A primary whose copy missed the end (a stale copy promoted), with a newer version of its own.
        SessionRecord stalePrimarys = first().apply(set("x"), V1 + 9);
        assertEquals(new CommitReply(CommitStatus.INVALIDATED, V1 + 5, null), replicate(stalePrimarys.changesSince(0)));
        assertSame(ended, records.get(KEY), "the backup keeps its end");
        assertEquals(new ReplicateReply(true), replicate(ended.changesSince(0)), "the end itself again (a resend)");
    }

    @Test
    void onTheDeliveringThreadAChangeUnderAnotherTopologyIsLeftToTheExecutorAndThereFenced() {
        records.put(first());
        RecordChanges next = first().apply(set("1"), V1 + 1).changesSince(V1);
        assertNull(backup.replicate(new ReplicateRequest(T - 1, next), false), "no fence on a thread that must not wait");
        assertNull(backup.replicate(new ReplicateRequest(T + 1, next), false));
        assertEquals(first(), records.get(KEY));
        assertEquals(new Retry(T), backup.replicate(new ReplicateRequest(T - 1, next), true));
        assertEquals(first(), records.get(KEY));
    }
}
