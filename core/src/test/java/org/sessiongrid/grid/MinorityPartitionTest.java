package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jgroups.protocols.DISCARD;
import org.junit.jupiter.api.Test;

/**
 * A 2|3 cut under {@code partitionPolicy=minority-refuses-writes} (traffic between the sides dropped): the majority's
 * writes wait for the members across the cut only {@code backupTimeout}, a second {@code backupTimeout} for the
 * members that do not answer the suspicion's notice, and one verification, not failure detection (10 s here, so
 * that it cannot be what ends the stall); the minority acknowledges no write over the whole split; after the heal
 * and the merge every acknowledged write reads back through every member. Once with the coordinator on the minority
 * side, once on the majority side. The minority refuses reads too, saying why.
 */
class MinorityPartitionTest {

    private static final String NS = SilentMemberTest.NS;
    private static final long BACKUP_TIMEOUT_MILLIS = 500;
    private static final long VERIFY_MILLIS = 500;
    /**
     * The views, the coordinator's probe and topology, and the write's retry: 1.5 s in {@link SilentMemberTest}; here
     * the side without the coordinator takes it over as well, and at a load of 55 to 75 a write took 3.45 s in all.
     */
    private static final long VIEW_AND_RETRY_MILLIS = 2_500;
    private static final long BOUND_MILLIS = 2 * BACKUP_TIMEOUT_MILLIS + VERIFY_MILLIS + VIEW_AND_RETRY_MILLIS;

    @Test
    void withTheCoordinatorOnTheMinoritySideTheMajorityWritesWithinTheBoundAndTheMinorityAcknowledgesNothing()
            throws Exception {
        split("minority-coord", List.of(0, 1));
    }

    @Test
    void withTheCoordinatorOnTheMajoritySideTheMajorityWritesWithinTheBoundAndTheMinorityAcknowledgesNothing()
            throws Exception {
        split("majority-coord", List.of(3, 4));
    }

    private static void split(String name, List<Integer> minorityIndexes) throws Exception {
        try (TestCluster c = SilentMemberTest.cluster(name, BACKUP_TIMEOUT_MILLIS, VERIFY_MILLIS,
                PartitionPolicy.MINORITY_REFUSES_WRITES).start(5)) {
            List<SessionGrid> minority = new ArrayList<>();
            List<SessionGrid> majority = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                (minorityIndexes.contains(i) ? minority : majority).add(c.members.get(i));
            }
            List<String> minorityNames = minority.stream().map(SessionGrid::memberName).toList();
            SessionGrid via = majority.get(0);
            // Every session has an owner on each side (3 owners of 5): each write waits across the cut.
            List<String> majorityIds = SilentMemberTest.sessions(via, 9,
                    o -> minorityNames.stream().anyMatch(m -> SilentMemberTest.owns(o, m)));
            List<String> minorityIds = SilentMemberTest.sessions(via, 4, o -> true);

            CounterLoad load = new CounterLoad(NS, majorityIds, majority).start();
            CounterLoad refused = null;
            try {
                SilentMemberTest.awaitProgress(load, 5);
                load.resetSlowest();
                List<DISCARD> cut = PartitionTest.split(minority, majority);
                refused = new CounterLoad(NS, minorityIds, minority).start();
                PartitionTest.awaitView(majority);
                SilentMemberTest.awaitProgress(load, 5);
                long slowest = load.slowestMillis();
                assertTrue(slowest < BOUND_MILLIS, "a write on the majority took " + slowest + " ms during the split"
                        + " (bound " + BOUND_MILLIS + " ms; failure detection would end it after 10 s)");
                for (SessionGrid g : majority) {
                    assertEquals(java.util.Optional.empty(), g.refusal(), g.memberName() + " serves");
                }
                CounterLoad minorityLoad = refused;
                Await.until("the minority refuses as a minority", Duration.ofSeconds(30),
                        () -> minority.stream().allMatch(g -> g.refusal().orElse("").contains("minority")),
                        () -> minority.stream().map(g -> g.memberName() + ":" + g.members() + " " + g.refusal()).toList()
                                .toString());
                Await.until("the minority's writers tried", Duration.ofSeconds(30),
                        () -> minorityLoad.failures.get() >= minorityIds.size());
                for (String id : majorityIds) {
                    GridUnavailableException e = assertThrows(GridUnavailableException.class,
                            () -> minority.get(0).store(NS).find(id, null), "a read through the minority");
                    assertTrue(e.getMessage().contains("minority"), e.getMessage());
                }
                // Judged before the heal: a write the minority acknowledges after it is no longer a minority's.
                assertEquals(0, refused.totalAcked(), "the minority acknowledged writes during the split");

                PartitionTest.heal(cut);
                Await.until("one view of 5 after the merge", Duration.ofSeconds(60),
                        () -> c.members.stream().allMatch(g -> g.members().size() == 5));
                c.awaitStable();
                SilentMemberTest.awaitProgress(load, 3);
            } finally {
                load.close();
                if (refused != null) {
                    refused.close();
                }
            }
            assertNull(load.firstError, load.firstError);
            GridAssertions.countersSurvived(c, NS, load);
            GridAssertions.countersSurvived(c, NS, refused);
        }
    }
}
