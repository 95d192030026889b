package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;

/**
 * A write through a member that is not the session's primary waits for the primary, and the primary waits for
 * its backups. When a backup is silent, the caller's wait passes backupTimeout too, although the primary is
 * alive: the primary suspects the silent backup itself and tells every member, and the caller waits on without
 * suspecting the primary. A suspicion of the primary would only cost an ARE_YOU_DEAD that it answers, but one it
 * answers too late (a loaded machine, a partition's majority busy excluding the other side) excludes a live
 * member that the farm needs. Only the silent member is suspected and excluded, and the caller's write ends
 * within the same bound as one through the primary ({@link SilentMemberTest}).
 */
class WaitingPrimaryTest {

    private static final String NS = "localhost/waiting";
    private static final long BACKUP_TIMEOUT_MILLIS = 500;
    private static final long VERIFY_MILLIS = 500;
    /** The view, the topology without the silent member and the retries (see {@link SilentMemberTest}). */
    private static final long VIEW_AND_RETRY_MILLIS = 1_500;

    @Test
    void aCallerOfAPrimaryWaitingForASilentBackupSuspectsNobodyAndOnlyTheSilentMemberIsExcluded() throws Exception {
        try (TestCluster c = new TestCluster("waiting", b -> b.backupTimeout(BACKUP_TIMEOUT_MILLIS).remoteTimeout(8_000)
                .stackProperty("sessiongrid.failureDetectionTimeout", "10000")
                .stackProperty("sessiongrid.verifySuspectTimeout", String.valueOf(VERIFY_MILLIS))).start(5)) {
            SessionGrid a = c.members.get(0);
            SessionGrid e = c.members.get(4);
            List<SessionGrid> others = c.members.subList(0, 4);
            // A owns none of these sessions: it waits only for their primary (B, C or D), which waits for E.
            List<String> ids = new ArrayList<>();
            while (ids.size() < 8) {
                String id = UUID.randomUUID().toString();
                SessionOwners o = a.store(NS).owners(id);
                if (!"A".equals(o.primary()) && !"E".equals(o.primary()) && o.backups().contains("E")
                        && !o.backups().contains("A")) {
                    a.store(NS).create(id, SessionDelta.builder().build());
                    ids.add(id);
                }
            }
            CounterLoad load = new CounterLoad(NS, ids, List.of(a)).start();
            try {
                awaitProgress(load, 5);
                load.resetSlowest();
                long raisedByA = a.metrics().getSuspicionsRaised();
                long raisedByOthers = others.stream().mapToLong(g -> g.metrics().getSuspicionsRaised()).sum();
                SilentMemberTest.silence(e);
                Await.until("E is excluded from the others' views", Duration.ofSeconds(20),
                        () -> others.stream().noneMatch(g -> g.members().contains("E")),
                        () -> others.stream().map(g -> g.memberName() + ":" + g.members()).toList().toString());
                awaitProgress(load, 5);
                long slowest = load.slowestMillis();
                long bound = BACKUP_TIMEOUT_MILLIS + VERIFY_MILLIS + VIEW_AND_RETRY_MILLIS;
                assertEquals(raisedByA, a.metrics().getSuspicionsRaised(), "A, which waited only for live primaries,"
                        + " suspected one of them");
                assertTrue(others.stream().mapToLong(g -> g.metrics().getSuspicionsRaised()).sum() > raisedByOthers,
                        "the primaries suspected the silent backup");
                for (SessionGrid g : others) {
                    assertEquals(List.of("A", "B", "C", "D"), g.members().stream().sorted().toList(),
                            g.memberName() + "'s view: only E may be excluded");
                }
                assertTrue(slowest < bound, "a write through A took " + slowest + " ms while E was silent (bound "
                        + bound + " ms)");
            } finally {
                load.close();
            }
            assertNull(load.firstError, load.firstError);
            c.halt(e);
            c.awaitStable();
            GridAssertions.countersSurvived(c, NS, load);
        }
    }

    private static void awaitProgress(CounterLoad load, int perWriter) {
        long before = load.totalAcked();
        Await.until("the writers made progress", Duration.ofSeconds(30),
                () -> load.totalAcked() >= before + (long) perWriter * load.ids.size());
    }
}
