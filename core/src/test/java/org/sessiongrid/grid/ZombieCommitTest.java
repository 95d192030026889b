package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * No zombie writes (issue 17, item 3): a request that read its session on a member which was then paused
 * and expelled must not, once the member is back, write its stale changes over what the others stored and
 * acknowledged meanwhile. (The real SIGSTOP runs in tomcat-manager's {@code ZombieWriteTest}; here the pause
 * detector is told a pause happened, which makes the member drop its copies and rejoin as a new member,
 * and the cluster promotes its backups, exactly as after a real one.) Its invalidation, and its move of the
 * session to a new id, are refused likewise.
 */
class ZombieCommitTest {

    private static final String NS = "localhost/zombie";

    private static SessionDelta counter(int n) {
        return SessionDelta.builder().set("counter", String.valueOf(n).getBytes(StandardCharsets.UTF_8)).build();
    }

    private static int counterOf(SessionRecord r) {
        return Integer.parseInt(new String(r.attribute("counter"), StandardCharsets.UTF_8));
    }

    @Test
    void aCommitOfWorkThatStartedBeforeThePauseIsRefusedAndOverwritesNothing() {
        try (TestCluster c = new TestCluster("zombie",
                b -> b.stackProperty("sessiongrid.failureDetectionTimeout", "3000")).start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, counter(1));

            // A request on A reads the session (A is its primary: local memory) and is about to write 2.
            SessionRecord read = a.store(NS).find(id, null);
            assertEquals(1, counterOf(read));
            long before = a.topologyId();

            // A freezes for longer than failure detection: it drops its copies and rejoins, and the user's
            // next requests go to B, which stores 2, then 3 (each acknowledged to the user).
            a.node().simulatePause(10_000);
            Await.until("the paused member noticed", Duration.ofSeconds(10),
                    () -> a.node().isRejoining() || a.topologyId() > before);
            SessionRecord onB = b.store(NS).find(id, null);
            onB = b.store(NS).commit(id, counter(counterOf(onB) + 1), onB);
            onB = b.store(NS).commit(id, counter(counterOf(onB) + 1), onB);
            assertEquals(3, counterOf(onB));
            Await.until("the paused member rejoined", Duration.ofSeconds(60),
                    () -> !a.node().isRejoining() && a.topologyId() > before);
            c.awaitStable();

            // A's request resumes. Were it a logout, or a login rotating the session's id (which ends the old
            // one and hands the request a current base for its older values), it would end the session the user
            // went on using on B: both are refused, and the refused move leaves the new id unused.
            long fencedBefore = c.members.stream().mapToLong(g -> g.metrics().getFencedCommits()).sum();
            assertThrows(SessionFencedException.class, () -> a.store(NS).invalidate(id, read),
                    "an invalidation by work that started before the pause ended the session the user went on using");
            String rotated = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            assertThrows(SessionFencedException.class, () -> a.store(NS).changeId(id, rotated, read),
                    "an id change by work that started before the pause ended the session the user went on using");
            assertNull(b.store(NS).find(rotated, null), "the refused move left the new id unused");

            // It commits what it computed from the value it read before the pause.
            SessionFencedException e = assertThrows(SessionFencedException.class,
                    () -> a.store(NS).commit(id, counter(counterOf(read) + 1), read),
                    "a commit of work that started before the pause wrote over the cluster's newer value");
            assertTrue(e.getMessage().contains("nothing was applied"), e.getMessage());

            SessionKey key = new SessionKey(NS, id);
            int owners = 0;
            for (SessionGrid g : c.members) {
                assertEquals(3, counterOf(g.store(NS).find(id, null)), "the value read through " + g.memberName());
                SessionRecord copy = g.node().records().get(key);
                if (copy != null) {
                    owners++;
                    assertEquals(3, counterOf(copy), "the copy held by " + g.memberName());
                }
            }
            assertTrue(owners >= 2, "owners holding the session: " + owners);
            assertEquals(fencedBefore + 3, c.members.stream().mapToLong(g -> g.metrics().getFencedCommits()).sum(),
                    "FencedCommits counts each refusal once, at the primary");

            // The member itself serves normally again: a request that reads now may write.
            SessionRecord fresh = a.store(NS).find(id, null);
            assertEquals(4, counterOf(a.store(NS).commit(id, counter(counterOf(fresh) + 1), fresh)));
        }
    }
}
