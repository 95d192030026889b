package org.sessiongrid.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.topology.TopologyCoordinatorTest.ScriptedCluster;

/**
 * The coordinator's rule under {@code partitionPolicy=minority-refuses-writes} ({@link MajorityRule}): a step that
 * removes members needs a majority of the topology before it among the members that answer a probe, whatever the
 * view lists. Five members A to E; a cut leaves A and B on one side, and their views lose C, D and E one at a time
 * (as suspicions exclude each) or late.
 */
class MajorityRuleTest {

    static final Member A = new Member("a", "a");
    static final Member B = new Member("b", "b");
    static final Member C = new Member("c", "c");
    static final Member D = new Member("d", "d");
    static final Member E = new Member("e", "e");
    static final List<Member> ALL = List.of(A, B, C, D, E);

    private final List<TopologyCoordinator> started = new ArrayList<>();

    @AfterEach
    void close() {
        started.forEach(TopologyCoordinator::close);
    }

    /** A coordinator on A under the policy, its topology settled over all five. */
    private TopologyCoordinator settled(ScriptedCluster cluster) throws Exception {
        TopologyCoordinator coord = new TopologyCoordinator(cluster, "a", "test", 64, 3, true, new GridStats(), 300);
        started.add(coord);
        coord.onView(ALL, false);
        for (Member m : ALL) {
            assertTrue(coord.join(m, 64, 3).get(10, TimeUnit.SECONDS).accepted());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Topology t = coord.lastInstalled();
        while (!(t.phase() == Phase.NONE && t.current().members().size() == ALL.size())) {
            assertTrue(System.nanoTime() < deadline, "no settled topology over all five; last " + t);
            if (t.phase() == Phase.READ_OLD_WRITE_ALL) {
                for (Member m : t.members()) {
                    coord.confirm(m, t.id()).get(10, TimeUnit.SECONDS);
                }
            } else {
                Thread.sleep(10);
            }
            t = coord.lastInstalled();
        }
        return coord;
    }

    private static List<Member> members(Topology t) {
        return t.current().members().stream().sorted(Comparator.comparing(Member::name)).toList();
    }

    /** Delivers {@code view} and returns the topology once the coordinator has handled it. */
    private static Topology after(TopologyCoordinator coord, ScriptedCluster cluster, List<Member> view) throws Exception {
        cluster.view = view;
        coord.onView(view, false);
        return coord.lastInstalled(); // serialized behind the view on the coordinator's thread
    }

    @Test
    void aMinorityWhoseViewsLoseTheOtherSideOneAtATimeNeverShrinksItsTopology() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        cluster.unreachable.addAll(List.of(C, D, E));
        // Judged by the views alone: 4 of 5, 3 of 4, 2 of 3, each a majority of the topology the step before left.
        assertEquals(ALL, members(after(coord, cluster, List.of(A, B, D, E))), "removed C while only A and B answer");
        assertEquals(ALL, members(after(coord, cluster, List.of(A, B, E))), "removed a member while only A and B answer");
        assertEquals(ALL, members(after(coord, cluster, List.of(A, B))), "a minority of 2 of 5 shrank its topology");
    }

    @Test
    void aMajorityWhoseMembersAnswerRemovesTheOtherSide() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        cluster.unreachable.addAll(List.of(D, E));
        assertEquals(List.of(A, B, C), members(after(coord, cluster, List.of(A, B, C))));
    }

    @Test
    void aMajoritySideWhoseViewStillListsTheOtherSideRemovesWhatTheViewDroppedAndKeepsCountingTheRest()
            throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        // D and E are cut off; the view drops D first while E is still listed: 3 answer of 5, a majority.
        cluster.unreachable.addAll(List.of(D, E));
        assertEquals(List.of(A, B, C, E), members(after(coord, cluster, List.of(A, B, C, E))));
        // Then C is cut off too before E leaves the view: 2 of the 4 answer, not a majority of the topology before.
        cluster.unreachable.add(C);
        assertEquals(List.of(A, B, C, E), members(after(coord, cluster, List.of(A, B))));
    }

    @Test
    void twoOfFiveCrashingLeaveThreeThatServeAndThenTwoOfThree() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        assertEquals(List.of(A, B, C), members(after(coord, cluster, List.of(A, B, C))));
        // The tables count three now: a later crash of one leaves a majority of them, as before the rule.
        assertEquals(List.of(A, B), members(after(coord, cluster, List.of(A, B))));
    }

    @Test
    void threeOfFiveCrashingLeaveTwoThatSitStill() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        assertEquals(ALL, members(after(coord, cluster, List.of(A, B))));
    }

    @Test
    void aLateViewThatStillListsMembersACutTookIsJudgedByWhoAnswers() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        // The view without E arrives after C and D were cut off as well: by the view, 4 of 5.
        cluster.unreachable.addAll(List.of(C, D, E));
        cluster.view = List.of(A, B);
        coord.onView(List.of(A, B, C, D), false);
        assertEquals(ALL, members(coord.lastInstalled()), "a minority removed E by a view that was already stale");
    }

    @Test
    void aMajorityWhoseMemberAnsweredTooLateJudgesAgainWithoutAnotherView() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        TopologyCoordinator coord = settled(cluster);
        // D and E crashed; C, busy, does not answer the first probe: 2 of 5 answer, and the view says nothing new after.
        cluster.unreachable.add(C);
        assertEquals(ALL, members(after(coord, cluster, List.of(A, B, C))), "stepped while only A and B answered");
        cluster.unreachable.clear();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!members(coord.lastInstalled()).equals(List.of(A, B, C))) {
            assertTrue(System.nanoTime() < deadline, "the coordinator did not judge its view again once C answered: "
                    + coord.lastInstalled());
            Thread.sleep(10);
        }
    }

    /** A, the coordinator of a merge under the policy, with each member's status as the merge's query finds it. */
    private TopologyCoordinator merging(ScriptedCluster cluster, Map<Member, Topology> holds) {
        holds.forEach((m, t) -> cluster.statuses.put(m, new MemberStatus(t, true, 64, 3)));
        TopologyCoordinator coord = new TopologyCoordinator(cluster, "a", "test", 64, 3, true, new GridStats(), 300);
        started.add(coord);
        return coord;
    }

    private static Topology over(long id, List<Member> members) {
        return new Topology(id, Phase.NONE, 3, Placement.create(members, 64, 3), null);
    }

    @Test
    void twoMinoritiesThatMergeWhileTheMajorityServesElsewhereStayAMinority() throws Exception {
        // A and B were cut off from each other and from C, D, E, which stepped to a topology of their own (id 21)
        // and serve; A's and B's sides never stepped, so both still hold the topology of all five.
        Topology before = over(20, ALL);
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B));
        TopologyCoordinator coord = merging(cluster, Map.of(A, before, B, before));
        coord.onView(List.of(A, B), true);
        coord.onView(List.of(A, B), false); // handled after the merge on the coordinator's thread
        coord.lastInstalled();
        assertEquals(List.of(), cluster.pushedTargets, "two minorities merged their records");
        assertEquals(List.of(), cluster.installed, "two of five installed a topology of their own and serve");
    }

    @Test
    void minoritiesThatMergeIntoAMajorityOfTheTopologyTheyHoldServe() throws Exception {
        Topology before = over(20, ALL);
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = merging(cluster, Map.of(A, before, B, before, C, over(21, ALL)));
        coord.onView(List.of(A, B, C), true);
        assertEquals(List.of(A, B, C), members(awaitMerged(cluster)));
    }

    @Test
    void aMinorityThatMergesWithTheSideThatSteppedServesWithIt() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, ALL);
        Topology majority = over(22, List.of(C, D, E));
        TopologyCoordinator coord = merging(cluster,
                Map.of(A, over(20, ALL), B, over(20, ALL), C, majority, D, majority, E, majority));
        coord.onView(ALL, true);
        assertEquals(ALL, members(awaitMerged(cluster)));
    }

    @Test
    void aMinorityThatMergesWithPartOfANewerTopologyIsJudgedByTheNewerOne() throws Exception {
        // C and D are what is left reachable of a newer topology over C to H (the others serve on); A brings the
        // topology of five it was cut off with. By A's old topology the three would be a majority.
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, C, D));
        Member f = new Member("f", "f");
        Member g = new Member("g", "g");
        Member h = new Member("h", "h");
        Topology newer = over(30, List.of(C, D, E, f, g, h));
        TopologyCoordinator coord = merging(cluster, Map.of(A, over(20, ALL), C, newer, D, newer));
        coord.onView(List.of(A, C, D), true);
        coord.onView(List.of(A, C, D), false);
        coord.lastInstalled();
        assertEquals(List.of(), cluster.installed, "three of a newer topology of six installed a topology and serve");
    }

    @Test
    void aMergeWhoseMajorityDidNotAllAnswerIsJudgedAgainWithoutAnotherView() throws Exception {
        // Three of five heal together, but C is too busy to answer the merge's first query.
        Topology before = over(20, ALL);
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = merging(cluster, Map.of(A, before, B, before));
        coord.onView(List.of(A, B, C), true);
        coord.lastInstalled();
        assertEquals(List.of(), cluster.installed, "two answers of five installed a topology");
        cluster.statuses.put(C, new MemberStatus(before, true, 64, 3));
        assertEquals(List.of(A, B, C), members(awaitMerged(cluster)), "not judged again once C answered");
    }

    private static Topology awaitMerged(ScriptedCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cluster.installed.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the merge installed nothing");
            Thread.sleep(10);
        }
        return cluster.installed.get(0);
    }
}
