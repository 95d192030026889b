package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The crash step: survivors keep their order, nothing moves, total losses are reported. */
class WithoutMembersTest {

    @Test
    void survivorsKeepTheirOrder() {
        Random random = new Random(31);
        List<Member> members = Fixtures.members(random, 10);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 3);
        List<Member> live = new ArrayList<>(members);
        Member dead1 = live.remove(2);
        Member dead2 = live.remove(6);
        Placement.Removal removal = Placement.withoutMembers(t, live);
        assertEquals(0, removal.lostSegments().length);
        OwnerTable after = removal.table();
        Fixtures.assertSameMembers(live, after);
        for (int s = 0; s < Fixtures.SEGMENTS; s++) {
            List<Member> expected = new ArrayList<>(t.owners(s));
            expected.remove(dead1);
            expected.remove(dead2);
            assertEquals(expected, after.owners(s));
        }
        assertEquals(0, after.slotsAddedComparedTo(t));
    }

    @Test
    void threeOwnersAndAllButOneGoneLosesNothing() {
        List<Member> members = Fixtures.members(new Random(32), 3);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 3);
        Placement.Removal removal = Placement.withoutMembers(t, List.of(members.get(1)));
        assertEquals(0, removal.lostSegments().length);
        for (int s = 0; s < Fixtures.SEGMENTS; s++) {
            assertEquals(List.of(members.get(1)), removal.table().owners(s));
        }
    }

    @Test
    void singleOwnerSegmentsOfTheDeadAreLostAndReassigned() {
        List<Member> members = Fixtures.members(new Random(33), 5);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 1);
        Member dead1 = members.get(0);
        Member dead2 = members.get(3);
        BitSet expectedLost = t.segmentsOwnedBy(dead1);
        expectedLost.or(t.segmentsOwnedBy(dead2));
        List<Member> live = new ArrayList<>(members);
        live.remove(dead1);
        live.remove(dead2);
        Placement.Removal removal = Placement.withoutMembers(t, live);
        assertArrayEquals(expectedLost.stream().toArray(), removal.lostSegments());
        OwnerTable after = removal.table();
        Fixtures.assertOwnerCount(after, 1);
        // Untouched segments keep their owner; the lost ones are spread over the survivors by
        // fewest primaries, so the result is balanced.
        for (int s = 0; s < Fixtures.SEGMENTS; s++) {
            if (!expectedLost.get(s)) {
                assertEquals(t.owners(s), after.owners(s));
            }
        }
        assertTrue(Fixtures.maxPrimaries(after) - Fixtures.minPrimaries(after) <= 1, after.toString());
        // A rebalance after it moves nothing more: the re-created segments already sit balanced.
        OwnerTable rebalanced = Placement.rebalance(after, live, 1);
        Fixtures.assertExactBalance(rebalanced, 1);
        assertEquals(0, rebalanced.slotsAddedComparedTo(after));
    }

    @Test
    void losesOnlySegmentsWhoseOwnersAllDied() {
        Random random = new Random(34);
        List<Member> members = Fixtures.members(random, 12);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 3);
        List<Member> dead = members.subList(0, 5);
        List<Member> live = members.subList(5, 12);
        Placement.Removal removal = Placement.withoutMembers(t, live);
        List<Integer> expected = new ArrayList<>();
        for (int s = 0; s < Fixtures.SEGMENTS; s++) {
            if (dead.containsAll(t.owners(s))) {
                expected.add(s);
            }
        }
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), removal.lostSegments());
        System.out.printf("5 of 12 dead with 3 owners: %d segments lost%n", expected.size());
        for (int s : removal.lostSegments()) {
            assertEquals(1, removal.table().owners(s).size());
        }
        OwnerTable restored = Placement.rebalance(removal.table(), live, 3);
        Fixtures.assertOwnerCount(restored, 3);
        Fixtures.assertExactBalance(restored, 3);
    }

    @Test
    void newLiveMembersJoinTheListOwningNothing() {
        Random random = new Random(35);
        List<Member> members = Fixtures.members(random, 4);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 2);
        List<Member> live = new ArrayList<>(members.subList(1, 4));
        Member newcomer = Fixtures.member(random, "new", null, null, null);
        live.add(newcomer);
        OwnerTable after = Placement.withoutMembers(t, live).table();
        Fixtures.assertSameMembers(live, after);
        assertEquals(0, after.ownedCount(newcomer));
    }

    @Test
    void removalIsAValue() {
        OwnerTable t = Placement.create(Fixtures.members(new Random(36), 2), 4, 1);
        int[] lost = {1, 2};
        Placement.Removal r = new Placement.Removal(t, lost);
        lost[0] = 9;
        r.lostSegments()[1] = 9;
        assertArrayEquals(new int[] {1, 2}, r.lostSegments());
        assertEquals(r, new Placement.Removal(t, new int[] {1, 2}));
        assertEquals(r.hashCode(), new Placement.Removal(t, new int[] {1, 2}).hashCode());
        assertTrue(r.toString().contains("[1, 2]"));
        assertThrows(NullPointerException.class, () -> new Placement.Removal(null, lost));
    }

    @Test
    void aRejoiningMemberLeavesTheSegmentsOthersHoldAndKeepsThoseItAloneOwns() {
        List<Member> members = Fixtures.members(new Random(35), 4);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 2);
        Member back = members.get(1);
        // Segments 0-9 have it as their only owner, as right after a merge.
        int[][] rows = new int[Fixtures.SEGMENTS][];
        for (int s = 0; s < rows.length; s++) {
            rows[s] = s < 10 ? new int[] {t.indexOf(back)} : t.ownerIndexes(s);
        }
        OwnerTable merged = new OwnerTable(t.members(), Fixtures.SEGMENTS, rows);
        OwnerTable after = Placement.withoutSharedCopiesOf(merged, back);
        Fixtures.assertSameMembers(members, after);
        for (int s = 0; s < Fixtures.SEGMENTS; s++) {
            List<Member> expected = new ArrayList<>(merged.owners(s));
            if (expected.size() > 1) {
                expected.remove(back);
            }
            assertEquals(expected, after.owners(s), "segment " + s);
        }
        assertEquals(10, after.ownedCount(back));

        OwnerTable shared = Placement.withoutSharedCopiesOf(t, back);
        List<Member> others = new ArrayList<>(members);
        others.remove(back);
        assertEquals(Placement.withoutMembers(t, others).table(), shared, "owning nothing alone, it leaves as after a crash");
    }
}
