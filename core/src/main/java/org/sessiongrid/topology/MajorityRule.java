package org.sessiongrid.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.sessiongrid.placement.Member;

/**
 * When the coordinator may remove members from the topology under {@code partitionPolicy=minority-refuses-writes}:
 * only in one step that keeps a majority of the topology's current members (the membership before the step), and
 * counting as kept only the members that answer a probe now, not those a view lists. A view is no proof of
 * reachability: after a cut, a side's view loses the members across it one at a time (as each is suspected) or
 * arrives late, and a coordinator that removed them as its views dropped them would judge each step against an ever
 * smaller topology (4 of 5, then 3 of 4, then 2 of 3) and let a minority serve. Probed, a minority never reaches
 * more than its own side, so it never takes a step, and its topology keeps counting the members across the cut.
 * A step removes what the view dropped: a member that is listed but did not answer stays in the topology (the
 * next view that drops it is judged the same way, against a topology that still counts it), so that a live member
 * slow to answer is not taken out of the tables while the view keeps it.
 *
 * <p>Why two sides cannot both step: each step needs a majority of the same membership, reached through answers
 * from members of one side; two disjoint sides cannot both have one. A side that stepped has installed a topology
 * the other never learns before the merge, and the other side's every later judgement is still against the
 * topology both had.
 *
 * <p>Without the policy every member a view lists counts and nothing is probed: each side serves what it reaches.
 *
 * <p>Confined to the coordinator thread (it blocks it for one probe, at most {@code backupTimeout}).
 */
final class MajorityRule {

    /**
     * What the coordinator does with a view that lacks some of the topology's members.
     *
     * @param reached the topology's current members that count (answered, or without the policy, listed)
     * @param listed  the topology's current members the view lists
     * @param of      the topology's current members
     */
    record Step(boolean minority, List<Member> removed, int reached, int listed, int of) {

        /**
         * A minority by its answers that its view calls a majority: a member slow to answer (a busy machine) or a
         * cut the views have not caught up with. With a stable view no other event comes to judge it again.
         */
        boolean judgeAgain() {
            return minority && listed * 2 > of;
        }
    }

    /** How soon a {@link Step#judgeAgain()} is judged again (the probe adds its own wait). */
    static final long JUDGE_AGAIN_MILLIS = 200;

    private final boolean minorityRefuses;
    private final CoordinatorContext ctx;

    MajorityRule(boolean minorityRefuses, CoordinatorContext ctx) {
        this.minorityRefuses = minorityRefuses;
        this.ctx = ctx;
    }

    /**
     * Judges {@code view} (the one delivered, never the channel's newer one) against {@code t}: the members to
     * remove, which the coordinator removes keeping those of {@code view}, or a minority that must sit still.
     */
    Step judge(Topology t, Set<Member> view) {
        List<Member> current = t.current().members();
        List<Member> removed = t.members().stream().filter(m -> !view.contains(m)).toList();
        if (!minorityRefuses) {
            int listed = (int) current.stream().filter(view::contains).count();
            return new Step(false, removed, listed, listed, current.size());
        }
        List<Member> asked = current.stream().filter(view::contains).toList();
        Set<Member> reached = new HashSet<>(ctx.reachable(asked));
        if (asked.contains(ctx.self())) {
            reached.add(ctx.self());
        }
        reached.retainAll(asked);
        boolean minority = reached.size() * 2 <= current.size();
        return new Step(minority, minority ? List.of() : removed, reached.size(), asked.size(), current.size());
    }

    /**
     * Judges a merge of partitions whose members answered the merge's status query: the merged side may install a
     * topology of its own only if its members are a majority of the newest topology any partition brings (of each,
     * if several share the highest id). Two minorities that heal between themselves while the majority serves
     * elsewhere both still hold the topology the majority stepped away from (a minority never steps), so together
     * they are judged against it, and stay a minority until the majority's side merges with them; a side that
     * stepped brings a newer topology, which the members it kept make a majority of. Without the policy every
     * merge installs.
     *
     * @param partitions the distinct topologies the answering members hold
     * @param view       the merge view
     * @param answered   the members of the merge view that answered
     */
    Step judgeMerge(List<Topology> partitions, Set<Member> view, Set<Member> answered) {
        long newest = partitions.stream().mapToLong(Topology::id).max().orElse(0);
        Step worst = null;
        for (Topology t : partitions) {
            if (t.id() != newest) {
                continue;
            }
            List<Member> current = t.current().members();
            int reached = (int) current.stream().filter(answered::contains).count();
            int listed = (int) current.stream().filter(view::contains).count();
            boolean minority = minorityRefuses && reached * 2 <= current.size();
            Step step = new Step(minority, List.of(), reached, listed, current.size());
            if (worst == null || (minority && !worst.minority())) {
                worst = step;
            }
        }
        return worst == null ? new Step(false, List.of(), 0, 0, 0) : worst;
    }
}
