package org.sessiongrid.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;

/**
 * Every join, leave and confirmation gets an answer: a failure while deciding it fails its future, and so
 * does closing the coordinator before it was decided. A caller (a member joining, a member handing its
 * segments over) otherwise waits out its whole timeout for an answer that never comes.
 */
class CoordinatorAnswersTest {

    private static final Member A = new Member("a", "a");
    private static final Member B = new Member("b", "b");

    /** A cluster whose installs fail (a transport that throws) and whose status queries may block. */
    private static final class FailingCluster implements CoordinatorContext {
        volatile boolean installFails = true;
        volatile CountDownLatch queryGate;

        @Override
        public Member self() {
            return A;
        }

        @Override
        public List<Member> viewMembers() {
            return List.of(A, B);
        }

        @Override
        public long[] installEverywhere(Topology t) {
            if (installFails) {
                throw new IllegalStateException("install failed");
            }
            long[] counts = new long[t.numSegments()];
            java.util.Arrays.fill(counts, -1);
            return counts;
        }

        @Override
        public void resend(Topology t, List<Member> members) {
        }

        @Override
        public java.util.Set<Member> reachable(List<Member> members) {
            return java.util.Set.copyOf(members);
        }

        @Override
        public Map<Member, MemberStatus> queryAll() {
            CountDownLatch gate = queryGate;
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new HashMap<>();
        }

        @Override
        public MergeOutcome pushForMerge(long mergeId, Topology target) {
            return new MergeOutcome(0, List.of());
        }
    }

    private static TopologyCoordinator coordinator(FailingCluster cluster) {
        return new TopologyCoordinator(cluster, "a", "answers", 64, 3, false, new GridStats(), 300);
    }

    private static Throwable failureOf(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS),
                "the future must fail, not stay unanswered");
        return e.getCause();
    }

    @Test
    void aJoinWhoseDecisionFailsIsAnsweredWithTheFailure() {
        FailingCluster cluster = new FailingCluster();
        try (TopologyCoordinator coord = coordinator(cluster)) {
            coord.onView(List.of(A, B), false);
            // The first join installs topology 1, which fails here.
            assertEquals("install failed", failureOf(coord.join(A, 64, 3)).getMessage());
        }
    }

    @Test
    void aLeaveWhoseHandOverFailsIsAnsweredWithTheFailure() throws Exception {
        FailingCluster cluster = new FailingCluster();
        cluster.installFails = false;
        try (TopologyCoordinator coord = coordinator(cluster)) {
            coord.onView(List.of(A, B), false);
            assertTrue(coord.join(A, 64, 3).get(5, TimeUnit.SECONDS).accepted());
            assertTrue(coord.join(B, 64, 3).get(5, TimeUnit.SECONDS).accepted());
            // Finish the rebalance the joins started, so that the leave starts one of its own.
            Topology rebalance = coord.lastInstalled();
            assertEquals(Phase.READ_OLD_WRITE_ALL, rebalance.phase());
            assertTrue(coord.confirm(A, rebalance.id()).get(5, TimeUnit.SECONDS));
            assertTrue(coord.confirm(B, rebalance.id()).get(5, TimeUnit.SECONDS));
            assertEquals(Phase.NONE, coord.lastInstalled().phase());
            cluster.installFails = true;
            CompletableFuture<Void> left = coord.leave(B);
            Throwable cause = failureOf(left);
            assertEquals("install failed", cause.getMessage());
        }
    }

    @Test
    void closingAnswersWhatWasQueuedAndWhatComesLater() throws Exception {
        FailingCluster cluster = new FailingCluster();
        cluster.queryGate = new CountDownLatch(1);
        TopologyCoordinator coord = coordinator(cluster);
        // Becoming coordinator asks every member for its status: that blocks, so the join waits in the queue.
        coord.onView(List.of(A, B), false);
        CompletableFuture<JoinDecision> queued = coord.join(A, 64, 3);
        CompletableFuture<Boolean> confirmQueued = coord.confirm(B, 7);
        coord.close();
        assertTrue(failureOf(queued) instanceof IllegalStateException);
        assertTrue(failureOf(confirmQueued) instanceof IllegalStateException);
        assertTrue(failureOf(coord.leave(B)) instanceof IllegalStateException, "a request after close");
        cluster.queryGate.countDown();
    }
}
