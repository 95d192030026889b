package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Retry;

/**
 * The rules of {@link Fence}, driven alone: a member's installed topology, the catch-ups it asks for and its
 * counters are all it has.
 */
class FenceTest {

    private static final long T = 5;

    private final InstalledTopology installed = new InstalledTopology();
    private final List<Long> catchUps = new CopyOnWriteArrayList<>();
    private final GridStats stats = new GridStats();
    private final Fence fence = new Fence(installed, catchUps::add, stats);

    FenceTest() {
        installed.install(topology(T));
    }

    private static Topology topology(long id) {
        List<Member> members = List.of(new Member("a", "a"));
        return new Topology(id, Phase.NONE, 1, Placement.create(members, 16, 1), null);
    }

    @Test
    void aRequestPlannedUnderThisTopologyPasses() {
        assertNull(fence.check(T));
        assertTrue(catchUps.isEmpty());
        assertEquals(Map.of(), stats.droppedByReason());
    }

    @Test
    void aRequestPlannedUnderAnOlderTopologyIsAnsweredRetryWithoutWaitingOrCatchingUp() {
        assertEquals(new Retry(T), fence.check(T - 1));
        assertTrue(catchUps.isEmpty(), "this member is ahead: nothing to catch up");
        assertEquals(Map.of("stale-topology", 1L), stats.droppedByReason());
    }

    @Test
    void aMemberBehindTheSenderWaitsForTheSendersTopologyThenLetsTheRequestPass() throws Exception {
        AtomicReference<GridMessage> answer = new AtomicReference<>(new Retry(-1));
        Thread checking = new Thread(() -> answer.set(fence.check(T + 1)), "fence-check");
        checking.start();
        // Installed only once the check waits: a fence that did not wait would have answered retry by then.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (checking.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(System.nanoTime() < deadline, "the check waits for the newer topology; it is " + checking.getState());
            Thread.onSpinWait();
        }
        installed.install(topology(T + 1));
        checking.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(answer.get(), "passes under the topology it waited for");
        assertTrue(catchUps.isEmpty());
        assertEquals(Map.of(), stats.droppedByReason());
    }

    @Test
    void aMemberStillBehindAfterItsWaitAnswersRetryAndAsksToCatchUp() {
        assertEquals(new Retry(T), fence.check(T + 2));
        assertEquals(List.of(T + 2), catchUps, "the topology update to this member may have been lost");
        assertEquals(Map.of("stale-topology", 1L), stats.droppedByReason());
    }
}
