package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sessiongrid.placement.Fixtures.SEGMENTS;
import static org.sessiongrid.placement.Fixtures.assertBalanceWithin;
import static org.sessiongrid.placement.Fixtures.assertExactBalance;
import static org.sessiongrid.placement.Fixtures.assertOwnerCount;
import static org.sessiongrid.placement.Fixtures.maxOwned;
import static org.sessiongrid.placement.Fixtures.maxPrimaries;
import static org.sessiongrid.placement.Fixtures.minOwned;
import static org.sessiongrid.placement.Fixtures.minPrimaries;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Owner counts and balance of tables built from scratch ({@link Placement#create}). */
class PlacementBalanceTest {

    private static final int[] SIZES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 16, 31, 32, 33, 63, 64, 65, 100, 127, 128, 200, 255, 256};
    private static final long[] SEEDS = {1, 42, 20240601};

    @Test
    void everySegmentHasMinOfNumOwnersAndMembersOwnersAndBalanceIsExact() {
        for (long seed : SEEDS) {
            Random random = new Random(seed);
            for (int numOwners = 1; numOwners <= 3; numOwners++) {
                for (int n : SIZES) {
                    OwnerTable t = Placement.create(Fixtures.members(random, n), SEGMENTS, numOwners);
                    assertOwnerCount(t, numOwners);
                    assertExactBalance(t, numOwners);
                }
            }
        }
    }

    @Test
    void balanceAt64And256Members() {
        for (long seed : SEEDS) {
            OwnerTable t64 = Placement.create(Fixtures.members(new Random(seed), 64), SEGMENTS, 3);
            assertBalanceWithin(t64, 3, 10);
            OwnerTable t256 = Placement.create(Fixtures.members(new Random(seed), 256), SEGMENTS, 3);
            // 1024 / 256 = 4 primaries and 12 owned slots each, exactly.
            assertEquals(4, minPrimaries(t256));
            assertEquals(4, maxPrimaries(t256));
            assertEquals(12, minOwned(t256));
            assertEquals(12, maxOwned(t256));
            System.out.printf("balance seed %d: 64 members primaries [%d, %d] owned [%d, %d] (means 16, 48);"
                            + " 256 members primaries [%d, %d] owned [%d, %d] (means 4, 12)%n",
                    seed, minPrimaries(t64), maxPrimaries(t64), minOwned(t64), maxOwned(t64),
                    minPrimaries(t256), maxPrimaries(t256), minOwned(t256), maxOwned(t256));
        }
    }

    /** For k >= 3 first backups are balanced too, so a crash spreads the dead member's primaries. */
    @Test
    void firstBackupsAreBalancedAndACrashSpreadsPrimaries() {
        Random random = new Random(5);
        for (int n : new int[] {3, 4, 7, 16, 64, 100, 256}) {
            List<Member> members = Fixtures.members(random, n);
            OwnerTable t = Placement.create(members, SEGMENTS, 3);
            int[] backup1 = new int[n];
            for (int s = 0; s < SEGMENTS; s++) {
                backup1[t.ownerIndexes(s)[1]]++;
            }
            for (int count : backup1) {
                assertEquals(SEGMENTS / n, count, 1.0, "backup1 count with " + n + " members");
            }
            Member dead = members.get(random.nextInt(n));
            List<Member> live = new ArrayList<>(members);
            live.remove(dead);
            OwnerTable after = Placement.withoutMembers(t, live).table();
            int worst = maxPrimaries(after);
            // The dead member's ~S/n primaries pass to its first backups, which are spread out:
            // nobody should get much more than twice its fair part of them.
            double bound = Math.ceil((double) SEGMENTS / n) * (1 + 2.0 / (n - 1)) + 2;
            System.out.printf("crash of 1 of %d: max primaries %d (balanced before: %d)%n", n, worst, maxPrimaries(t));
            assertTrue(worst <= bound, "max primaries after a crash " + worst + " > " + bound);
        }
    }

    @Test
    void oddSegmentCountsAndMoreMembersThanSegments() {
        Random random = new Random(11);
        int[][] cases = {{1, 1, 3}, {1, 5, 3}, {7, 3, 3}, {7, 5, 2}, {10, 16, 3}, {10, 40, 3}, {256, 256, 3},
                {300, 7, 5}, {97, 13, 4}, {4096, 64, 3}};
        for (int[] c : cases) {
            int segments = c[0];
            int n = c[1];
            int numOwners = c[2];
            OwnerTable t = Placement.create(Fixtures.members(random, n), segments, numOwners);
            assertEquals(segments, t.numSegments());
            assertOwnerCount(t, numOwners);
            assertExactBalance(t, numOwners);
        }
    }

    @Test
    void performanceAt128And256Members() {
        for (int n : new int[] {128, 256}) {
            Random random = new Random(n);
            List<Member> members = Fixtures.members(random, n);
            Placement.create(members, SEGMENTS, 3); // warm-up
            long start = System.nanoTime();
            OwnerTable t = Placement.create(members, SEGMENTS, 3);
            long created = System.nanoTime();
            List<Member> joined = new ArrayList<>(members);
            joined.add(Fixtures.member(random, "joiner", null, null, null));
            OwnerTable j = Placement.rebalance(t, joined, 3);
            long rebalanced = System.nanoTime();
            List<Member> left = new ArrayList<>(members);
            left.remove(n / 2);
            OwnerTable l = Placement.rebalance(Placement.withoutMembers(t, left).table(), left, 3);
            long afterLeave = System.nanoTime();
            assertOwnerCount(j, 3);
            assertOwnerCount(l, 3);
            System.out.printf("time at %d members: create %.1f ms, join %.1f ms, leave %.1f ms%n", n,
                    (created - start) / 1e6, (rebalanced - created) / 1e6, (afterLeave - rebalanced) / 1e6);
        }
    }

    @Test
    void rejectsBadArguments() {
        List<Member> two = Fixtures.members(new Random(1), 2);
        assertThrows(IllegalArgumentException.class, () -> Placement.create(List.of(), SEGMENTS, 3));
        assertThrows(IllegalArgumentException.class, () -> Placement.create(two, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> Placement.create(two, SEGMENTS, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Placement.create(List.of(two.get(0), new Member(two.get(0).id(), "dup")), SEGMENTS, 3));
        OwnerTable t = Placement.create(two, SEGMENTS, 3);
        assertThrows(IllegalArgumentException.class, () -> Placement.rebalance(t, List.of(), 3));
        assertThrows(IllegalArgumentException.class, () -> Placement.withoutMembers(t, List.of()));
    }
}
