package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;

/**
 * A commit whose reply was lost (its primary failed after the backups applied it) is sent again, to
 * the promoted backup, which already holds its effect. The op id makes the second one a no-op that
 * answers as the first would have: a retried create must not be refused as "session exists" (the
 * container would then start another session under the same id), and a retried update must not be
 * applied twice.
 */
class RetriedCommitTest {

    private static CommitRequest create(long topologyId, SessionKey key, long opId) {
        return CommitRequest.create(topologyId, key, SessionDelta.builder().set("counter", new byte[] {1}).build(), opId);
    }

    @Test
    void aCreateSentAgainWithItsOpIdIsAnsweredWithTheRecordItMadeAndAnotherCreateIsRefused() throws Exception {
        try (TestCluster cluster = new TestCluster("retried-create").start(3)) {
            cluster.awaitStable();
            SessionGrid a = cluster.live().get(0);
            SessionGrid b = cluster.live().get(1);
            SessionKey key = new SessionKey("localhost/app", "retried-create-1");

            CommitReply first = a.node().primaries().call(key, tid -> create(tid, key, 77), CommitReply.class);
            assertEquals(CommitStatus.OK, first.status());

            // The same create again, through another member (as after a failover): the same record.
            CommitReply again = b.node().primaries().call(key, tid -> create(tid, key, 77), CommitReply.class);
            assertEquals(CommitStatus.OK, again.status(), "a retried create was refused");
            assertEquals(first.version(), again.version());
            assertNotNull(again.changes(), "a retried create must carry the stored record");
            SessionRecord stored = again.changes().applyTo(null);
            assertEquals(List.of("counter"), List.copyOf(stored.attributes().keySet()));

            // A different create of the same id is another session: refused.
            CommitReply other = b.node().primaries().call(key, tid -> create(tid, key, 78), CommitReply.class);
            assertEquals(CommitStatus.EXISTS, other.status());

            // And through the public API: the record is there, once.
            SessionRecord found = b.store("localhost/app").find("retried-create-1", null);
            assertNotNull(found);
            assertEquals(first.version(), found.version());

            // The same through the adapters' API: the op id is the caller's.
            SessionStore viaA = a.store("localhost/app");
            SessionDelta initial = SessionDelta.builder().set("counter", new byte[] {1}).build();
            SessionRecord made = viaA.create("retried-create-2", initial, 4242);
            SessionRecord again2 = b.store("localhost/app").create("retried-create-2", initial, 4242);
            assertEquals(made.version(), again2.version());
            assertEquals(List.of("counter"), List.copyOf(again2.attributes().keySet()));
            org.junit.jupiter.api.Assertions.assertThrows(SessionExistsException.class,
                    () -> b.store("localhost/app").create("retried-create-2", initial, 4243));
        }
    }
}
