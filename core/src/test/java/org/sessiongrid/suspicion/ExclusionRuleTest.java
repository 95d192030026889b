package org.sessiongrid.suspicion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.suspicion.ExclusionRule.Decision;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;

/**
 * The rule the member acting on suspicions follows: a suspicion, a guess made on a timeout, is checked by JGroups
 * only while every segment keeps an owner that is neither leaving nor being checked, and none is while more than
 * half of the other members are suspected at once (a starved machine).
 */
class ExclusionRuleTest {

    private static final int SEGMENTS = 256;

    private static List<Member> members(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> new Member("id" + (char) ('a' + i),
                String.valueOf((char) ('A' + i)))).toList();
    }

    /** Each of {@code by} suspected each of {@code of} other than itself. */
    private static List<ExclusionRule.Suspected> suspicions(List<Member> by, List<Member> of) {
        List<ExclusionRule.Suspected> out = new java.util.ArrayList<>();
        for (Member x : by) {
            for (Member y : of) {
                if (!x.equals(y)) {
                    out.add(new ExclusionRule.Suspected(x.id(), y.id()));
                }
            }
        }
        return out;
    }

    private static Topology settled(List<Member> members, int numOwners) {
        return new Topology(5, Phase.NONE, numOwners, Placement.create(members, SEGMENTS, numOwners), null);
    }

    @Test
    void everyMemberSuspectedAtOnceOnAStarvedMachineIsLeftToFailureDetection() {
        List<Member> m = members(6);
        Topology t = settled(m, 3);
        // The checker is A; the five others were suspected within one window.
        List<Member> others = m.subList(1, 6);
        Decision d = ExclusionRule.decide(t, List.of(), others, suspicions(m, m), 5);
        assertTrue(d.widespread());
        assertTrue(d.check().isEmpty(), "checked: " + d.check());
        assertEquals(others, d.deferred().stream().map(ExclusionRule.Deferral::member).toList());
    }

    @Test
    void aSuspectWhoseExclusionWouldLeaveASegmentWithoutAnOwnerIsDeferredTheOthersAreChecked() {
        List<Member> m = members(5);
        Topology t = settled(m, 2);
        Member b = m.get(1);
        Member c = m.get(2);
        // Two of four suspected: not widespread. B and C share segments (numOwners=2): B, suspected first, is
        // checked; C is not, while B may be excluded.
        Decision d = ExclusionRule.decide(t, List.of(), List.of(b, c), suspicions(m, List.of(b, c)), 4);
        assertFalse(d.widespread());
        assertEquals(List.of(b), d.check());
        assertEquals(1, d.deferred().size());
        ExclusionRule.Deferral x = d.deferred().get(0);
        assertEquals(c, x.member());
        assertEquals(Set.of(b, c), new HashSet<>(t.current().owners(x.segment())));
        int shared = 0;
        for (int s = 0; s < SEGMENTS; s++) {
            shared += t.current().isOwner(b, s) && t.current().isOwner(c, s) ? 1 : 0;
        }
        assertEquals(shared, x.segments());
    }

    @Test
    void membersGoneFromTheViewOrBeingCheckedCountAsLeaving() {
        List<Member> m = members(6);
        Topology t = settled(m, 3);
        Member a = m.get(0);
        Member b = m.get(1);
        Member c = m.get(2);
        // F checks; A already left the view (the topology still names it), B is being checked: C would be the
        // third owner of the segments the three share.
        Decision d = ExclusionRule.decide(t, List.of(a, b), List.of(c), suspicions(m.subList(3, 6), List.of(b, c)), 4);
        assertFalse(d.widespread());
        assertTrue(d.check().isEmpty(), "checked: " + d.check());
        assertEquals(Set.of(a, b, c), new HashSet<>(t.current().owners(d.deferred().get(0).segment())));
        // With only A leaving, C's exclusion leaves every segment an owner (numOwners=3).
        assertEquals(List.of(c), ExclusionRule.decide(t, List.of(a), List.of(c), suspicions(m, List.of(c)), 4).check());
    }

    @Test
    void aSingleSilentMemberIsCheckedAsBeforeWheneverItsSegmentsHaveOtherOwners() {
        List<Member> m = members(5);
        for (int owners = 2; owners <= 3; owners++) {
            Decision d = ExclusionRule.decide(settled(m, owners), List.of(), List.of(m.get(4)), suspicions(m, m.subList(4, 5)), 4);
            assertEquals(List.of(m.get(4)), d.check());
            assertTrue(d.deferred().isEmpty());
        }
        // The only owner of its segments (numOwners=1) is never excluded on a timeout.
        Decision alone = ExclusionRule.decide(settled(m, 1), List.of(), List.of(m.get(4)), suspicions(m, m.subList(4, 5)), 4);
        assertTrue(alone.check().isEmpty());
        // Before any topology there is nothing to lose.
        assertEquals(List.of(m.get(4)), ExclusionRule.decide(null, List.of(), List.of(m.get(4)), suspicions(m, m.subList(4, 5)), 4).check());
    }

    @Test
    void duringARebalanceASegmentKeepsAnOwnerInBothTables() {
        List<Member> m = members(6);
        Member a = m.get(0);
        Member b = m.get(1);
        Member c = m.get(2);
        Member d = m.get(3);
        // One segment moving from {A, B} to {C, D}: the coordinator may already have made the pending table
        // current while this member's topology shows READ_NEW_WRITE_ALL.
        OwnerTable current = new OwnerTable(m, 1, new int[][] {{0, 1}});
        OwnerTable pending = new OwnerTable(m, 1, new int[][] {{2, 3}});
        Topology t = new Topology(7, Phase.READ_NEW_WRITE_ALL, 2, current, pending);
        Decision dec = ExclusionRule.decide(t, List.of(), List.of(c, d), suspicions(List.of(a), List.of(c, d)), 5);
        assertEquals(List.of(c), dec.check());
        assertEquals(List.of(c, d), dec.deferred().get(0).owners());
        // And in the current table.
        assertEquals(List.of(a), ExclusionRule.decide(t, List.of(), List.of(a, b), suspicions(List.of(c), List.of(a, b)), 5).check());
    }

    @Test
    void oneSlowMemberThatSuspectsEveryOtherIsNoWidespreadSuspicion() {
        List<Member> m = members(5);
        Member e = m.get(4);
        List<Member> others = m.subList(0, 4);
        // E's answers are late (a lossy link): A to D suspect it, and it suspects each of them, its own waits
        // running out on its link. Every suspicion involves E: it is the one judged, oldest suspicion first.
        List<ExclusionRule.Suspected> lately = new java.util.ArrayList<>(suspicions(others, List.of(e)));
        lately.addAll(suspicions(List.of(e), others));
        assertFalse(ExclusionRule.widespread(lately, 4));
        Decision d = ExclusionRule.decide(settled(m, 3), List.of(), List.of(e, m.get(1)), lately, 4);
        assertFalse(d.widespread());
        assertEquals(e, d.check().get(0));
        // A second member suspecting another besides E makes it widespread.
        lately.add(new ExclusionRule.Suspected(m.get(1).id(), m.get(2).id()));
        assertTrue(ExclusionRule.widespread(lately, 4));
    }
}
