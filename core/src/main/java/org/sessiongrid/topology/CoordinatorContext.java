package org.sessiongrid.topology;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.sessiongrid.placement.Member;

/** What the coordinator needs from its member: the view, and messaging to every member. */
public interface CoordinatorContext {

    Member self();

    /** Members of the current view, coordinator first. */
    List<Member> viewMembers();

    /**
     * Installs {@code t} on this member and every other member of the view, and waits for them.
     *
     * @return live sessions per segment as reported by the segments' primaries (-1: not reported)
     */
    long[] installEverywhere(Topology t);

    /**
     * Sends {@code t}, already installed, again to {@code members} (this member excluded), for members
     * that did not take it the first time; a member that has it ignores it. Waits for their answers.
     */
    void resend(Topology t, List<Member> members);

    /**
     * Which of {@code members} answer a round trip now, seeing this member in their views (this member counts if
     * named); waits at most {@code backupTimeout}. A view lists members that a cut already took; an answer does not.
     */
    Set<Member> reachable(List<Member> members);

    /** Every view member's status (this member's included); members that do not answer are absent. */
    Map<Member, MemberStatus> queryAll();

    /**
     * Has every view member (this one included) push its records to their primaries under
     * {@code target}, where the better copy is kept.
     */
    MergeOutcome pushForMerge(long mergeId, Topology target);
}
