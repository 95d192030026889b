package org.sessiongrid.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;

/**
 * Which newer topology a member may install outside a merge ({@link Topology#leavesOutWhileInstalling}):
 * a member that catches up must never take another side's topology of a split, whose id may well be higher.
 */
class TopologySuccessionTest {

    static final Member A = new Member("a", "a");
    static final Member B = new Member("b", "b");
    static final Member C = new Member("c", "c");
    static final Member D = new Member("d", "d");
    static final Member E = new Member("e", "e");

    private static Topology of(long id, Member... members) {
        return new Topology(id, Phase.NONE, 3, Placement.create(List.of(members), 64, 3), null);
    }

    @Test
    void aMinorityMemberNeverTakesTheMajoritysTopologyWhateverItsId() {
        Topology minority = of(11, A, B);
        Topology majority = of(13, C, D, E);
        Set<Member> mergedView = Set.of(A, B, C, D, E);
        assertEquals(A, majority.leavesOutWhileInstalling(minority, A, mergedView::contains));
        assertEquals(B, majority.leavesOutWhileInstalling(minority, B, mergedView::contains));
    }

    @Test
    void aSidesTopologyThatStillListsTheMemberIsRefusedWhileItLeavesOutOneOfItsSide() {
        // The majority dropped A but not yet B when the views split unevenly; B's own side is {A, B}.
        Topology bSide = of(11, A, B);
        Topology otherSide = of(12, B, C, D, E);
        Set<Member> mergedView = Set.of(A, B, C, D, E);
        assertEquals(A, otherSide.leavesOutWhileInstalling(bSide, B, mergedView::contains));
    }

    @Test
    void aMissedUpdateOfTheSameSequenceIsTaken() {
        Topology mine = of(10, A, B, C);
        assertNull(of(11, A, B, C, D).leavesOutWhileInstalling(mine, A, Set.of(A, B, C, D)::contains), "a join");
        assertNull(of(11, A, B).leavesOutWhileInstalling(mine, A, Set.of(A, B)::contains), "C left");
        // A view that still shows the member that left delays the install until the view catches up.
        assertEquals(C, of(11, A, B).leavesOutWhileInstalling(mine, A, Set.of(A, B, C)::contains));
    }

    @Test
    void aMemberNotInItsOwnTopologyYetTakesAny() {
        assertNull(of(5, A, B).leavesOutWhileInstalling(null, C, Set.of(A, B, C)::contains));
        assertNull(of(5, A, B, C).leavesOutWhileInstalling(of(4, A, B), C, Set.of(A, B, C)::contains));
    }
}
