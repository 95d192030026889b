package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage.StateRequest;

/**
 * C joins A and B and pulls every segment, while A, primary of half of them and in the view, answers none of
 * C's requests (a member whose connection to C is broken, or that hangs). The pull still ends with every
 * record, and asks A only until A first failed to answer: without that, each segment A is primary of began
 * with a request to A and waited out the remote timeout, so a rebalance took one timeout per segment.
 * Over {@link ControlledCluster}: the segment transfer and nothing else.
 */
class SilentSourcePullTest {

    private static final Member A = new Member("a", "A");
    private static final Member B = new Member("b", "B");
    private static final Member C = new Member("c", "C");
    private static final long REMOTE_TIMEOUT = 1_000;

    private final ControlledCluster cluster = new ControlledCluster(A, B, C);
    private final ExecutorService lanes = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        lanes.shutdownNow();
        cluster.close();
    }

    @Test
    void anOwnerThatDoesNotAnswerIsAskedLastForTheRestOfTheTransfer() throws Exception {
        Topology t = new Topology(2, Phase.READ_OLD_WRITE_ALL, 3,
                Placement.create(List.of(A, B), ControlledCluster.SEGMENTS, 2),
                Placement.create(List.of(A, B, C), ControlledCluster.SEGMENTS, 3));
        cluster.installEverywhere(t);
        long now = System.currentTimeMillis();
        int sessions = 100;
        for (int i = 0; i < sessions; i++) {
            SessionRecord r = SessionRecord.create(new SessionKey("ns", "s" + i), 1, SessionDelta.builder()
                    .creationTime(now).lastAccessedTime(now).maxInactiveInterval(600).set("v", new byte[] {1}).build(), i);
            cluster.node(A).records.put(r);
            cluster.node(B).records.put(r);
        }
        long segmentsLedByA = IntStream.range(0, ControlledCluster.SEGMENTS)
                .filter(s -> A.equals(t.primary(s))).count();
        assertTrue(segmentsLedByA > SegmentPuller.PARALLEL_PULLS, "the placement gives A too few segments for this test: "
                + segmentsLedByA);
        // Held and never delivered: A stays in the view and says nothing.
        cluster.hold(ControlledCluster.from(C, A, StateRequest.class));

        ControlledCluster.Node c = cluster.node(C);
        SegmentPuller puller = new SegmentPuller(() -> c.member, c.messenger, c.topology, c.records, 64, REMOTE_TIMEOUT,
                c.stats, id -> { }, lanes, c.replicator::returnCopies);

        assertTrue(puller.pull(t), "the pull ended");
        assertEquals(sessions, c.records.size(), "records on C");
        int askedA = cluster.sentTo(A, StateRequest.class).size();
        // Each lane may ask A once before any lane learned that A does not answer.
        assertTrue(askedA <= SegmentPuller.PARALLEL_PULLS, "C asked A " + askedA + " times for the " + segmentsLedByA
                + " segments A leads, although A answered none");
    }
}
