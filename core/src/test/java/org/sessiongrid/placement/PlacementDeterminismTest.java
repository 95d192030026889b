package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Same inputs, in whatever order, give equal tables. */
class PlacementDeterminismTest {

    @Test
    void createIgnoresListOrderAndRepeats() {
        Random random = new Random(21);
        for (int n : new int[] {1, 3, 7, 64, 200}) {
            List<Member> members = Fixtures.members(random, n);
            OwnerTable first = Placement.create(members, Fixtures.SEGMENTS, 3);
            for (int i = 0; i < 3; i++) {
                List<Member> shuffled = new ArrayList<>(members);
                Collections.shuffle(shuffled, random);
                assertEquals(first, Placement.create(shuffled, Fixtures.SEGMENTS, 3));
            }
            Fixtures.assertSameMembers(members, first);
        }
    }

    @Test
    void taggedCreateIgnoresListOrder() {
        Random random = new Random(22);
        List<Member> members = Fixtures.layout(random, 2, 3, 2, 2);
        members.addAll(PlacementTopologyTest.racks(random, 1, 4));
        OwnerTable first = Placement.create(members, Fixtures.SEGMENTS, 3);
        for (int i = 0; i < 3; i++) {
            List<Member> shuffled = new ArrayList<>(members);
            Collections.shuffle(shuffled, random);
            assertEquals(first, Placement.create(shuffled, Fixtures.SEGMENTS, 3));
        }
    }

    @Test
    void rebalanceAndWithoutMembersIgnoreListOrder() {
        Random random = new Random(23);
        List<Member> members = Fixtures.members(random, 40);
        OwnerTable t = Placement.create(members, Fixtures.SEGMENTS, 3);
        List<Member> next = new ArrayList<>(members.subList(0, 35));
        next.addAll(Fixtures.members(random, 3));
        OwnerTable target = Placement.rebalance(t, next, 3);
        Placement.Removal removal = Placement.withoutMembers(t, members.subList(0, 30));
        for (int i = 0; i < 3; i++) {
            List<Member> shuffled = new ArrayList<>(next);
            Collections.shuffle(shuffled, random);
            assertEquals(target, Placement.rebalance(t, shuffled, 3));
            List<Member> live = new ArrayList<>(members.subList(0, 30));
            Collections.shuffle(live, random);
            Placement.Removal again = Placement.withoutMembers(t, live);
            assertEquals(removal, again);
            assertArrayEquals(removal.lostSegments(), again.lostSegments());
        }
    }

    /**
     * A fixed table for fixed inputs: guards against any change that would make two versions of
     * the code (say, during a rolling upgrade) disagree without anyone noticing.
     */
    @Test
    void fingerprintOfAKnownInputIsStable() {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            members.add(new Member("member-" + i, null));
        }
        OwnerTable t = Placement.create(members, 16, 3);
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < 16; s++) {
            for (int m : t.ownerIndexes(s)) {
                sb.append(m);
            }
            sb.append(' ');
        }
        System.out.println("fingerprint: " + sb);
        assertEquals(t, Placement.create(List.copyOf(members), 16, 3));
        assertEquals(FINGERPRINT, sb.toString().trim());
    }

    private static final String FINGERPRINT = "342 421 014 240 301 102 402 013 023 123 240 412 314 034 231 130";
}
