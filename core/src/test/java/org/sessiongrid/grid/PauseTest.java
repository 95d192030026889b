package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;

/**
 * A member paused longer than the failure-detection timeout (a long GC, SIGSTOP) never serves its
 * possibly stale copies: it refuses, drops them and joins again without data. (The real SIGSTOP runs in
 * the integration tests; here the pause detector is told a pause happened.)
 */
class PauseTest {

    private static final String NS = "localhost/pause";

    @Test
    void pausedMemberRefusesThenRejoinsWithoutItsOldCopies() {
        try (TestCluster c = new TestCluster("pause",
                b -> b.stackProperty("sessiongrid.failureDetectionTimeout", "3000")).start(3)) {
            SessionGrid a = c.members.get(0);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
                a.store(NS).create(id, SessionDelta.builder().set("v", ("value" + i).getBytes(StandardCharsets.UTF_8))
                        .build());
                ids.add(id);
            }
            long before = a.topologyId();
            a.node().simulatePause(10_000);
            try {
                a.store(NS).find(ids.get(0), null);
                // The detector's tick may come between the pause and the read, and the rejoin is quick here:
                // an answer is then allowed only from a member that has rejoined since.
                assertTrue(a.topologyId() > before, "a paused member served a copy before it rejoined");
            } catch (GridUnavailableException e) {
                assertTrue(e.getMessage().contains("paused"), e.getMessage());
            }
            Await.until("the paused member rejoined", Duration.ofSeconds(60),
                    () -> !a.node().isRejoining() && a.topologyId() > 0);
            c.awaitStable();
            for (int i = 0; i < ids.size(); i++) {
                assertEquals("value" + i, new String(a.store(NS).find(ids.get(i), null).attribute("v"),
                        StandardCharsets.UTF_8), "read through the rejoined member");
            }
            GridAssertions.ownersComplete(c, 3);
        }
    }

    /** The threshold is the timeout the stack really uses (test-loopback's own default, 3 s here), not a fixed 10 s. */
    @Test
    void aPauseCountsFromTheStacksOwnFailureDetectionTimeout() {
        try (TestCluster c = new TestCluster("pausestack").start(2)) {
            SessionGrid a = c.members.get(0);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {1}).build());

            a.node().simulatePause(1_000);
            assertEquals(1, a.store(NS).find(id, null).attribute("v")[0], "a pause shorter than the timeout is harmless");

            a.node().simulatePause(5_000);
            GridUnavailableException e = assertThrows(GridUnavailableException.class, () -> a.store(NS).find(id, null),
                    "a 5 s pause on a stack that expels after 3 s");
            assertTrue(e.getMessage().contains("paused"), e.getMessage());
        }
    }
}
