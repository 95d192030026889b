package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * A member excluded for a pause comes back with its copies set aside; the rebalance that takes it back gives it
 * the segments it held wherever that costs no more transfers, so its catch-up keeps copies instead of fetching
 * whole segments, and the table is as balanced and moves as few copies as without the hint.
 */
class PriorCopiesTest {

    @Test
    void aReturningMemberGetsBackTheSegmentsItHeldAtNoExtraTransfers() {
        for (long seed : new long[] {1, 2, 3}) {
            for (int n = 4; n <= 12; n++) {
                for (int numOwners = 2; numOwners <= 3; numOwners++) {
                    check(new Random(seed * 1000 + n), n, numOwners, Fixtures.SEGMENTS);
                }
            }
        }
    }

    @Test
    void withLocationTagsTheHintStillOnlyBreaksTies() {
        Random random = new Random(7);
        List<Member> members = Fixtures.layout(random, 2, 2, 2, 1);
        OwnerTable t0 = Placement.create(members, Fixtures.SEGMENTS, 3);
        Member x = members.get(3);
        OwnerTable[] steps = excludeAndRestore(t0, members, x, 3);
        OwnerTable plain = Placement.rebalance(steps[1], members, 3);
        OwnerTable hinted = Placement.rebalance(steps[1], members, 3,
                PriorCopies.of(Map.of(x, t0.segmentsOwnedBy(x))));
        assertEquals(Fixtures.segmentsSharing(plain, Fixtures::rackOf), Fixtures.segmentsSharing(hinted, Fixtures::rackOf),
                "the hint made the racks' spread worse");
        assertEquals(plain.slotsAddedComparedTo(steps[1]), hinted.slotsAddedComparedTo(steps[1]));
        assertTrue(returned(hinted, x, t0) >= returned(plain, x, t0));
    }

    @Test
    void noHintGivesTheTableOfTheThreeArgumentRebalance() {
        Random random = new Random(3);
        List<Member> members = Fixtures.members(random, 7);
        OwnerTable t0 = Placement.create(members, Fixtures.SEGMENTS, 3);
        OwnerTable[] steps = excludeAndRestore(t0, members, members.get(2), 3);
        assertEquals(Placement.rebalance(steps[1], members, 3),
                Placement.rebalance(steps[1], members, 3, PriorCopies.NONE));
        assertEquals(Placement.rebalance(steps[1], members, 3),
                Placement.rebalance(steps[1], members, 3, PriorCopies.of(Map.of())));
    }

    private static void check(Random random, int n, int numOwners, int segments) {
        List<Member> members = Fixtures.members(random, n);
        OwnerTable t0 = Placement.create(members, segments, numOwners);
        Member x = members.get(random.nextInt(n));
        OwnerTable[] steps = excludeAndRestore(t0, members, x, numOwners);
        OwnerTable restored = steps[1];

        OwnerTable plain = Placement.rebalance(restored, members, numOwners);
        OwnerTable hinted = Placement.rebalance(restored, members, numOwners,
                PriorCopies.of(Map.of(x, t0.segmentsOwnedBy(x))));

        String at = n + " members, numOwners " + numOwners + ", " + x.id();
        Fixtures.assertOwnerCount(hinted, numOwners);
        Fixtures.assertExactBalance(hinted, numOwners);
        assertEquals(plain.slotsAddedComparedTo(restored), hinted.slotsAddedComparedTo(restored),
                "the hint changed the copies to transfer, " + at);
        int owned = hinted.ownedCount(x);
        int back = returned(hinted, x, t0);
        int without = returned(plain, x, t0);
        // Greedy, not a matching: a giver can run out of set-aside segments the receiver lacks (1 case in 54 here
        // stops at 99 %); without the hint 55 to 82 % came back.
        assertTrue(back >= owned * 0.98, "given back " + back + " of " + owned + " with the hint (" + without
                + " without), " + at);
        assertTrue(back >= without, at);
    }

    /** The table after {@code x}'s exclusion, and after the rebalance that restored every segment's owners without it. */
    private static OwnerTable[] excludeAndRestore(OwnerTable t0, List<Member> members, Member x, int numOwners) {
        List<Member> others = new ArrayList<>(members);
        others.remove(x);
        OwnerTable removed = Placement.withoutMembers(t0, others).table();
        return new OwnerTable[] {removed, Placement.rebalance(removed, others, numOwners)};
    }

    private static int returned(OwnerTable t, Member x, OwnerTable before) {
        BitSet now = t.segmentsOwnedBy(x);
        now.and(before.segmentsOwnedBy(x));
        return now.cardinality();
    }
}
