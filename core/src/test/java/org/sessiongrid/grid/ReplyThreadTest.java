package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;

import org.jgroups.protocols.MsgStats;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.ReadRequest;

/**
 * Where a request's reply completes its future: on the JGroups thread that delivered it, whether it came alone
 * or in a batch with others (JGroups hands the replies of a batch to {@code ForkJoinPool.commonPool()} unless
 * told otherwise, one more thread hand-off on the write path's wait for its backups).
 */
class ReplyThreadTest {

    @Test
    void repliesDeliveredInBatchesCompleteOnTheDeliveringThread() throws Exception {
        try (TestCluster c = new TestCluster("replythread").start(2)) {
            ClusterTransport a = c.members.get(0).node().transport();
            ClusterTransport b = c.members.get(1).node().transport();
            Set<String> completedOn = ConcurrentHashMap.newKeySet();
            MsgStats received = a.channel().getProtocolStack().getTransport().getMessageStats();
            received.enable(true);
            long batchesBefore = received.getNumBatchesReceived();
            // Many requests at once: the other member's replies queue up and reach this one bundled, which
            // JGroups delivers as message batches. More rounds while none has come yet, within a bound.
            for (int round = 0; round < 20 || noBatchSince(received, batchesBefore) && round < 200; round++) {
                List<CompletableFuture<GridMessage>> all = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    SessionKey key = new SessionKey("localhost/app", "reply-thread-" + round + "-" + i);
                    CompletableFuture<GridMessage> f = a.request(b.self(), new ReadRequest(1, key, 0), 10_000);
                    all.add(f.whenComplete((r, e) -> {
                        Thread t = Thread.currentThread();
                        completedOn.add(t instanceof ForkJoinWorkerThread ? "commonPool" : t.getName());
                    }));
                }
                for (CompletableFuture<GridMessage> f : all) {
                    f.get(20, TimeUnit.SECONDS);
                }
            }
            assertTrue(received.getNumBatchesReceived() > batchesBefore, "replies arrived in batches");
            assertFalse(completedOn.contains("commonPool"), "no reply is handed to the common pool: " + completedOn);
        }
    }

    private static boolean noBatchSince(MsgStats received, long before) {
        return received.getNumBatchesReceived() == before;
    }
}
