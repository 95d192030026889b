package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.jgroups.protocols.DISCARD;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * A bobble costs little (issue 17, item 4): a member excluded for a few seconds of silence rejoins without
 * serving what it held, and then takes back the copies that are still current instead of having its whole share
 * copied again; what changed or ended meanwhile comes from the others. Three members in one JVM, each an owner
 * of every session; C is made silent by dropping its traffic ({@link DISCARD}) and its clock is told of the pause,
 * as in {@link SilentMemberTest}.
 */
class CatchUpTest {

    private static final String NS = "localhost/catchup";
    private static final int SESSIONS = 120;

    private static TestCluster cluster(String name) {
        // Failure detection 10 s: the grid's suspicion (backupTimeout 500 ms, verification 500 ms) excludes C.
        // remoteTimeout bounds how long C's question to the others goes unanswered while it is silent.
        return new TestCluster(name, b -> b.backupTimeout(500).remoteTimeout(3_000)
                .stackProperty("sessiongrid.failureDetectionTimeout", "10000")
                .stackProperty("sessiongrid.verifySuspectTimeout", "500"));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Creates {@code n} sessions through {@code g}, session i with {@code v} = "v<i>", noted in {@code expected}. */
    static List<String> createSessions(SessionGrid g, String namespace, int n, Map<String, String> expected) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = UUID.randomUUID().toString();
            g.store(namespace).create(id, SessionDelta.builder().set("v", utf8("v" + i)).build());
            ids.add(id);
            expected.put(id, "v" + i);
        }
        return ids;
    }

    private static String valueOf(SessionRecord r) {
        return new String(r.attribute("v"), StandardCharsets.UTF_8);
    }

    /** What C received and took back from its kept copies while it rejoined. */
    private record Rejoin(long transferred, long kept, long catchUps) {
    }

    /**
     * Creates the sessions through A, silences C until the others exclude it (a write waits for it), changes 10
     * sessions, invalidates 5 and creates 5 meanwhile, lets C back, and checks that every read through C and every copy C holds is current and
     * that no invalidated session came back.
     */
    private static Rejoin excludeChangeAndReturn(TestCluster c) {
        SessionGrid a = c.members.get(0);
        SessionGrid away = c.members.get(2);
        Map<String, String> expected = new HashMap<>();
        List<String> ids = createSessions(a, NS, SESSIONS, expected);
        long transferredBefore = away.metrics().getRecordsTransferred();
        long keptBefore = away.metrics().getRecordsKeptByCatchUps();
        long catchUpsBefore = away.metrics().getCatchUps();

        long silencedAt = System.nanoTime();
        DISCARD silence = SilentMemberTest.silence(away);
        // A write that waits for C suspects it, and JGroups excludes it. Under load that can take longer than
        // remoteTimeout, so the write is not one whose outcome the test needs (it may fail).
        String trigger = ids.get(SESSIONS - 1);
        expected.remove(trigger);
        CompletableFuture.runAsync(() -> a.store(NS).commit(trigger, SessionDelta.builder().set("v", utf8("x")).build(),
                a.store(NS).find(trigger, null)));
        Await.until("C is excluded", Duration.ofSeconds(20), () -> !a.members().contains(away.memberName()) && a.isStable());
        for (int i = 0; i < 10; i++) {
            String id = ids.get(i);
            a.store(NS).commit(id, SessionDelta.builder().set("v", utf8("changed" + i)).build(), a.store(NS).find(id, null));
            expected.put(id, "changed" + i);
        }
        List<String> invalidated = ids.subList(10, 15);
        for (String id : invalidated) {
            assertTrue(a.store(NS).invalidate(id), "invalidated " + id);
            expected.remove(id);
        }
        for (int i = 0; i < 5; i++) {
            String id = UUID.randomUUID().toString();
            a.store(NS).create(id, SessionDelta.builder().set("v", utf8("new" + i)).build());
            expected.put(id, "new" + i);
        }

        // C's clock shows the pause. Its traffic flows again only once it has found out that it was excluded (its
        // question to the others goes unanswered meanwhile), so that the merge that takes it back cannot come first.
        away.node().simulatePause((System.nanoTime() - silencedAt) / 1_000_000);
        Await.until("C set its copies aside to rejoin", Duration.ofSeconds(30), () -> away.node().isRejoining());
        silence.discardAll(false);
        Await.until("C rejoined", Duration.ofSeconds(60), () -> !away.node().isRejoining()
                && away.members().size() == 3 && away.topologyId() > 0);
        c.awaitStable();

        for (String id : invalidated) {
            assertNull(away.store(NS).find(id, null), "an invalidated session read through C");
            SessionRecord copy = away.node().records().get(new SessionKey(NS, id));
            assertTrue(copy == null || copy.isTombstone(), "C's copy of an invalidated session: " + copy);
        }
        expected.forEach((id, value) -> {
            SessionRecord read = away.store(NS).find(id, null);
            assertEquals(value, read == null ? null : valueOf(read), "read through C of " + id);
            SessionKey key = new SessionKey(NS, id);
            assertEquals(a.node().records().get(key), away.node().records().get(key), "C's copy of " + id);
        });
        GridAssertions.ownersComplete(c, 3);
        return new Rejoin(away.metrics().getRecordsTransferred() - transferredBefore,
                away.metrics().getRecordsKeptByCatchUps() - keptBefore, away.metrics().getCatchUps() - catchUpsBefore);
    }

    @Test
    void aMemberBackFromAShortExclusionReceivesOnlyWhatChangedMeanwhile() {
        try (TestCluster c = cluster("catchup").start(3)) {
            Rejoin r = excludeChangeAndReturn(c);
            // The 10 changes, 5 ends and 5 new sessions, with room for writes C received while rejoining.
            assertTrue(r.transferred() <= 40, "C received " + r.transferred() + " records, not just what changed while"
                    + " it was away (a full copy is " + (SESSIONS + 5) + ")");
            assertTrue(r.kept() >= SESSIONS - 40, "kept copies taken back: " + r.kept());
            assertEquals(1, r.catchUps(), "catch-ups");
        }
    }

    /**
     * Members of a version without catch-up digests answer C's digests as malformed: C pulls its share whole, and
     * takes back no kept copy. C's clock shows a pause longer than failure detection, so it rejoins at once.
     */
    @Test
    void fromMembersThatCannotReadADigestTheShareComesWhole() {
        try (TestCluster c = cluster("catchupold").start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid away = c.members.get(2);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String id = UUID.randomUUID().toString();
                a.store(NS).create(id, SessionDelta.builder().set("v", utf8("v" + i)).build());
                ids.add(id);
            }
            OlderPeer.under(a, 25);
            OlderPeer.under(c.members.get(1), 25);
            long transferredBefore = away.metrics().getRecordsTransferred();
            long before = away.topologyId();

            away.node().simulatePause(15_000);
            Await.until("C rejoined", Duration.ofSeconds(60), () -> !away.node().isRejoining() && away.topologyId() > before);
            c.awaitStable();

            for (int i = 0; i < ids.size(); i++) {
                assertEquals("v" + i, valueOf(away.store(NS).find(ids.get(i), null)), "read through C");
            }
            assertEquals(ids.size(), away.metrics().getRecordsTransferred() - transferredBefore, "records C received");
            assertEquals(0, away.metrics().getRecordsKeptByCatchUps(), "kept copies taken back without a source's word");
        }
    }
}
