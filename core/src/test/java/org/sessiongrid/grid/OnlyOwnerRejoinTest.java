package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A member that is the only owner of segments (here every segment has one owner, {@code numOwners=1}, as every
 * segment has right after a merge until the rebalance restores the owner count) pauses long enough to set its
 * copies aside and rejoin. Nobody else holds those segments, so its kept copies are the newest there are: it
 * restores them instead of the segments restarting empty, and every session keeps its last acknowledged value.
 * The pause is the detector's test hook, longer than the stack's failure detection (3 s), so the member rejoins
 * without asking the others; they never excluded it, and still count it when it joins again.
 */
class OnlyOwnerRejoinTest {

    private static final String NS = "localhost/onlyowner";

    @ParameterizedTest(name = "the paused member is {0}")
    @ValueSource(strings = {"B", "A"})
    void theOnlyOwnerOfSegmentsRejoinsAfterAPauseAndNoSessionIsLost(String paused) {
        try (TestCluster c = new TestCluster("onlyowner", b -> b.numOwners(1)
                .stackProperty("sessiongrid.failureDetectionTimeout", "3000")).start(2)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            SessionGrid away = paused.equals("A") ? a : b;
            SessionGrid other = away == a ? b : a;
            assertTrue(a.isCoordinator());

            // Sessions on both members, each changed a few times; the last acknowledged value is what must survive.
            Map<String, Long> acked = new LinkedHashMap<>();
            List<String> ownedByAway = new ArrayList<>();
            for (int i = 0; ownedByAway.size() < 20 || acked.size() < 40; i++) {
                String id = UUID.randomUUID().toString();
                SessionOwners o = a.store(NS).owners(id);
                assertTrue(o.backups().isEmpty(), "numOwners=1: " + o);
                SessionGrid via = i % 2 == 0 ? a : b;
                SessionRecord r = via.store(NS).create(id, SessionDelta.builder().set("n", counter(0)).build());
                for (long v = 1; v <= 3; v++) {
                    r = via.store(NS).commit(id, SessionDelta.builder().set("n", counter(v)).build(), r);
                }
                acked.put(id, 3L);
                if (o.primary().equals(away.memberName())) {
                    ownedByAway.add(id);
                }
            }
            int segmentsOfAway = away.topology().current().ownedCount(away.node().self());
            assertTrue(segmentsOfAway > 0, "the paused member owns segments");
            long before = away.topologyId();
            long lostBefore = other.metrics().getLostSegments() + away.metrics().getLostSegments();

            away.node().simulatePause(10_000);
            Await.until(away.memberName() + " set its copies aside and rejoined", Duration.ofSeconds(60),
                    () -> away.topologyId() > before && !away.node().isRejoining() && away.refusal().isEmpty(),
                    () -> away.memberName() + ": topology " + away.topologyId() + ", refusal " + away.refusal());
            c.awaitStable();

            assertEquals(lostBefore, other.metrics().getLostSegments() + away.metrics().getLostSegments(),
                    "segments reported lost");
            long segmentsWithSessions = ownedByAway.stream().mapToInt(id -> GridAssertions.segmentOf(id, 1024)).distinct().count();
            assertEquals(segmentsWithSessions, away.metrics().getRestoredSegments(), "segments restored from the kept copies");
            assertEquals(ownedByAway.size(), away.metrics().getRestoredRecords(), "records restored");
            for (Map.Entry<String, Long> e : acked.entrySet()) {
                for (SessionGrid via : List.of(a, b)) {
                    SessionRecord r = via.store(NS).find(e.getKey(), null);
                    assertNotNull(r, "session " + e.getKey() + " read through " + via.memberName()
                            + (ownedByAway.contains(e.getKey()) ? " (owned by the paused member)" : ""));
                    assertEquals(e.getValue(), value(r), "session " + e.getKey() + " read through " + via.memberName());
                }
            }
            // It goes on as before: a write through either member reaches the restored copies' owner.
            String id = ownedByAway.get(0);
            SessionRecord r = other.store(NS).find(id, null);
            other.store(NS).commit(id, SessionDelta.builder().set("n", counter(4)).build(), r);
            assertEquals(4, value(away.store(NS).find(id, null)), "a write after the rejoin");
        }
    }

    private static byte[] counter(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static long value(SessionRecord r) {
        return ByteBuffer.wrap(r.attribute("n")).getLong();
    }
}
