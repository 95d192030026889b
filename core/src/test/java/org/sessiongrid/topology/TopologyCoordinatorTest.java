package org.sessiongrid.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;

/**
 * The coordinator's rebalance protocol on its own thread, against a scripted cluster: which
 * confirmations end a rebalance, and which must be sent again. A member whose view lags behind may
 * send its confirmation to a member that is not (or no longer) running that rebalance; that member
 * must refuse it, or the rebalance waits forever for a confirmation that was swallowed.
 */
class TopologyCoordinatorTest {

    static final Member A = new Member("a", "a");
    static final Member B = new Member("b", "b");
    static final Member C = new Member("c", "c");
    static final long STALL_MILLIS = 300;

    /** A cluster whose members install whatever the coordinator sends and report nothing. */
    static final class ScriptedCluster implements CoordinatorContext {
        final Member self;
        volatile List<Member> view;
        final List<Topology> installed = new CopyOnWriteArrayList<>();
        final Map<Member, MemberStatus> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        /** Every topology sent again, with the members it went to. */
        final List<Map.Entry<Topology, List<Member>>> resent = new CopyOnWriteArrayList<>();

        ScriptedCluster(Member self, List<Member> view) {
            this.self = self;
            this.view = view;
        }

        @Override
        public Member self() {
            return self;
        }

        @Override
        public List<Member> viewMembers() {
            return view;
        }

        @Override
        public long[] installEverywhere(Topology t) {
            installed.add(t);
            long[] counts = new long[t.numSegments()];
            Arrays.fill(counts, -1);
            return counts;
        }

        @Override
        public void resend(Topology t, List<Member> members) {
            resent.add(Map.entry(t, List.copyOf(members)));
        }

        /** Members that do not answer a probe although a view may list them (a cut the views have not caught up with). */
        final java.util.Set<Member> unreachable = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public java.util.Set<Member> reachable(List<Member> members) {
            return members.stream().filter(m -> !unreachable.contains(m)).collect(java.util.stream.Collectors.toSet());
        }

        @Override
        public Map<Member, MemberStatus> queryAll() {
            return new HashMap<>(statuses);
        }

        /** Outcomes of the next merge pushes, in order; complete once they run out. */
        final java.util.Deque<MergeOutcome> pushOutcomes = new java.util.concurrent.ConcurrentLinkedDeque<>();
        final List<Topology> pushedTargets = new CopyOnWriteArrayList<>();

        @Override
        public MergeOutcome pushForMerge(long mergeId, Topology target) {
            pushedTargets.add(target);
            MergeOutcome next = pushOutcomes.poll();
            return next == null ? new MergeOutcome(0, List.of()) : next;
        }

        Topology last() {
            return installed.get(installed.size() - 1);
        }
    }

    private final List<TopologyCoordinator> started = new ArrayList<>();

    @AfterEach
    void close() {
        started.forEach(TopologyCoordinator::close);
    }

    private TopologyCoordinator coordinator(ScriptedCluster cluster) {
        TopologyCoordinator c = new TopologyCoordinator(cluster, cluster.self.name(), "test", 64, 3, false, new GridStats(),
                STALL_MILLIS);
        started.add(c);
        return c;
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** A, B and C joined; returns the rebalance topology (READ_OLD_WRITE_ALL) that adds B and C. */
    private Topology rebalancing(TopologyCoordinator coord, ScriptedCluster cluster) throws Exception {
        coord.onView(List.of(A, B, C), false);
        assertTrue(await(coord.join(A, 64, 3)).accepted());
        assertTrue(await(coord.join(B, 64, 3)).accepted());
        assertTrue(await(coord.join(C, 64, 3)).accepted());
        Topology t = coord.lastInstalled();
        // Joins are answered before the rebalance they trigger: wait until one covers all three.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(t.phase() == Phase.READ_OLD_WRITE_ALL && t.pending().members().containsAll(List.of(A, B, C)))) {
            assertTrue(System.nanoTime() < deadline, "no rebalance to A, B, C was started; last topology " + t);
            Thread.onSpinWait();
            t = coord.lastInstalled();
            if (t.phase() == Phase.READ_OLD_WRITE_ALL && !t.pending().members().containsAll(List.of(A, B, C))) {
                // the rebalance for the first joiners: confirm it so the next one starts
                for (Member m : t.members()) {
                    await(coord.confirm(m, t.id()));
                }
            }
        }
        return t;
    }

    @Test
    void rebalanceFinishesOnlyWhenEveryLiveMemberConfirmed() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = coordinator(cluster);
        Topology t = rebalancing(coord, cluster);

        assertTrue(await(coord.confirm(A, t.id())));
        assertTrue(await(coord.confirm(B, t.id())));
        assertEquals(t.id(), coord.lastInstalled().id(), "finished before C confirmed");

        assertTrue(await(coord.confirm(C, t.id())));
        Topology done = coord.lastInstalled();
        assertEquals(Phase.NONE, done.phase());
        assertEquals(t.id() + 2, done.id(), "READ_NEW_WRITE_ALL, then NONE");
        assertEquals(t.pending(), done.current());
    }

    @Test
    void confirmationOfATopologyThisCoordinatorDoesNotRunIsRefusedSoTheMemberSendsItAgain() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = coordinator(cluster);
        Topology t = rebalancing(coord, cluster);

        // A newer topology than any this coordinator made: another coordinator decided it.
        assertFalse(await(coord.confirm(B, t.id() + 5)), "a confirmation for an unknown topology was taken");

        // Not the coordinator any more (another member is first in the view): it runs nothing.
        ScriptedCluster other = new ScriptedCluster(B, List.of(A, B, C));
        TopologyCoordinator notFirst = coordinator(other);
        notFirst.onView(List.of(A, B, C), false);
        assertFalse(await(notFirst.confirm(C, t.id())), "a member that is not the coordinator took a confirmation");

        // A confirmation of a topology already replaced need not be sent again.
        for (Member m : List.of(A, B, C)) {
            await(coord.confirm(m, t.id()));
        }
        Topology done = coord.lastInstalled();
        assertNotNull(done);
        assertTrue(await(coord.confirm(B, t.id())), "a late duplicate of a finished rebalance's confirmation");
        assertEquals(done, coord.lastInstalled(), "a late confirmation changed the topology");
    }

    @Test
    void aStalledRebalanceSendsItsTopologyAgainToTheMembersItWaitsForOnly() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = coordinator(cluster);
        Topology t = rebalancing(coord, cluster);
        assertTrue(await(coord.confirm(A, t.id())));
        assertTrue(await(coord.confirm(B, t.id())));

        // C refused or lost the update (its view did not show A yet): it is sent again, to C alone.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cluster.resent.stream().noneMatch(e -> e.getKey().equals(t) && e.getValue().equals(List.of(C)))) {
            assertTrue(System.nanoTime() < deadline, "the topology C waits for was not sent again: " + cluster.resent);
            Thread.sleep(10);
        }
        assertTrue(cluster.resent.stream().allMatch(e -> e.getKey().equals(t) && e.getValue().equals(List.of(C))),
                "sent again to members that had confirmed, or another topology: " + cluster.resent);

        assertTrue(await(coord.confirm(C, t.id())));
        assertEquals(Phase.NONE, coord.lastInstalled().phase());
        int sends = cluster.resent.size();
        // Once the rebalance is done nothing is sent again (wait through two stall periods).
        Topology done = coord.lastInstalled();
        long quiet = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * STALL_MILLIS + 100);
        while (System.nanoTime() < quiet) {
            assertEquals(done, coord.lastInstalled());
            Thread.sleep(20);
        }
        assertEquals(sends, cluster.resent.size(), "a finished rebalance was sent again");
    }

    /** Two partitions' topologies: {A, B} at id 20 and {C} at id 7, every member joined. */
    private static void partitioned(ScriptedCluster cluster) {
        org.sessiongrid.placement.OwnerTable ab = org.sessiongrid.placement.Placement.create(List.of(A, B), 64, 3);
        org.sessiongrid.placement.OwnerTable c = org.sessiongrid.placement.Placement.create(List.of(C), 64, 3);
        Topology sideAB = new Topology(20, Phase.NONE, 3, ab, null);
        Topology sideC = new Topology(7, Phase.NONE, 3, c, null);
        cluster.statuses.put(A, new MemberStatus(sideAB, true, 64, 3));
        cluster.statuses.put(B, new MemberStatus(sideAB, true, 64, 3));
        cluster.statuses.put(C, new MemberStatus(sideC, true, 64, 3));
    }

    private static Topology awaitInstalled(ScriptedCluster cluster, java.util.function.Predicate<Topology> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cluster.installed.stream().noneMatch(what)) {
            assertTrue(System.nanoTime() < deadline, "not installed; installed: " + cluster.installed);
            Thread.sleep(10);
        }
        return cluster.installed.stream().filter(what).findFirst().orElseThrow();
    }

    @Test
    void aMergeWhosePushesAllGotThroughInstallsItsTargetAtOnce() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        partitioned(cluster);
        TopologyCoordinator coord = coordinator(cluster);
        coord.onView(List.of(A, B, C), true);
        Topology merged = awaitInstalled(cluster, t -> t.id() == 21);
        assertEquals(List.of(merged), cluster.pushedTargets, "one round, its target installed");
        assertEquals(List.of(A, B, C), merged.members().stream().sorted().toList());
    }

    @Test
    void aMergeWhosePushDidNotGetThroughIsDoneAgainOverTheViewAsItIsThen() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        partitioned(cluster);
        // B left while the others pushed to it: their records for B's segments are still with them.
        cluster.pushOutcomes.add(new MergeOutcome(3, List.of(C)));
        TopologyCoordinator coord = coordinator(cluster);
        cluster.view = List.of(A, C);
        coord.onView(List.of(A, B, C), true);

        Topology merged = awaitInstalled(cluster, t -> t.phase() == Phase.NONE && t.id() > 20);
        assertEquals(2, cluster.pushedTargets.size(), "a second round: " + cluster.pushedTargets);
        Topology first = cluster.pushedTargets.get(0);
        assertTrue(first.members().contains(B), "round 1 over the merge view");
        assertFalse(cluster.installed.contains(first), "the target whose push was incomplete was installed");
        assertEquals(cluster.pushedTargets.get(1), merged, "round 2's target is the one installed");
        assertFalse(merged.members().contains(B), "round 2 over the view without B: " + merged);
        assertTrue(merged.id() > first.id(), "a new id per round, so members fence until they install it");
    }

    @Test
    void aMergeIsInstalledAfterItsLastRoundEvenIfRecordsDidNotGetThrough() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        partitioned(cluster);
        for (int i = 0; i < MergeRounds.ROUNDS; i++) {
            cluster.pushOutcomes.add(new MergeOutcome(0, List.of(B)));
        }
        TopologyCoordinator coord = coordinator(cluster);
        coord.onView(List.of(A, B, C), true);
        Topology merged = awaitInstalled(cluster, t -> t.phase() == Phase.NONE && t.id() > 20);
        assertEquals(MergeRounds.ROUNDS, cluster.pushedTargets.size());
        assertEquals(cluster.pushedTargets.get(MergeRounds.ROUNDS - 1), merged);
    }

    @Test
    void aMinorityCancelsItsUnfinishedRebalanceAndSitsStill() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = new TopologyCoordinator(cluster, "a", "test", 64, 3, true, new GridStats(),
                STALL_MILLIS);
        started.add(coord);
        Topology t = rebalancing(coord, cluster);
        assertTrue(await(coord.confirm(A, t.id())));

        // B and C are cut off: A alone is a minority of three, under minority-refuses-writes.
        cluster.view = List.of(A);
        coord.onView(List.of(A), false);
        Topology after = awaitInstalled(cluster, x -> x.id() > t.id());
        assertEquals(Phase.NONE, after.phase(), "a minority still rebalancing: " + after);
        assertEquals(t.current(), after.current(), "the owners before the rebalance, B and C included");
        assertEquals(t.id() + 1, coord.lastInstalled().id(), "a minority made more than the cancellation");
    }

    /**
     * Views can reach the coordinator's thread late (JGroups hands a view over only once its own work for it
     * is done): the view it judges and the members it removes must be the same view. Judged on the old view
     * and applied on the channel's newer one, a minority loses a majority one view at a time and serves.
     */
    @Test
    void aLateViewIsJudgedAndAppliedAsItWasSoAMinorityNeverShrinksPastAMajority() throws Exception {
        ScriptedCluster cluster = new ScriptedCluster(A, List.of(A, B, C));
        TopologyCoordinator coord = new TopologyCoordinator(cluster, "a", "test", 64, 3, true, new GridStats(),
                STALL_MILLIS);
        started.add(coord);
        Topology t = rebalancing(coord, cluster);
        for (Member m : List.of(A, B, C)) {
            await(coord.confirm(m, t.id()));
        }
        Topology stable = awaitInstalled(cluster, x -> x.phase() == Phase.NONE && x.current().members().size() == 3);

        // C is cut off, then B; the view without C reaches the coordinator when the channel already shows A alone.
        cluster.view = List.of(A);
        coord.onView(List.of(A, B), false);
        Topology withoutC = awaitInstalled(cluster, x -> x.id() > stable.id());
        assertEquals(List.of(A, B), withoutC.current().members().stream().sorted(
                java.util.Comparator.comparing(Member::name)).toList(), "removed what the judged view lacks, no more");

        coord.onView(List.of(A), false);
        await(coord.confirm(A, withoutC.id())); // serialized behind the view on the coordinator's thread
        assertTrue(coord.lastInstalled().current().members().contains(B),
                "A alone is a minority of {A, B} and sits still; it removed B: " + coord.lastInstalled());
    }
}
