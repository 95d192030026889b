package org.sessiongrid.topology;

import java.util.List;

import org.sessiongrid.placement.Member;

/**
 * What the members' merge pushes achieved: the sessions whose copies differed, and the members that
 * did not push all their records to the target's primaries (a primary left or refused meanwhile, or
 * the member did not answer). Those records are still on those members, and would be dropped if the
 * target were installed.
 *
 * @param conflicts  sessions with conflicting copies, summed over the members that answered
 * @param incomplete members whose push did not reach every primary
 */
public record MergeOutcome(long conflicts, List<Member> incomplete) {

    public MergeOutcome {
        incomplete = List.copyOf(incomplete);
    }

    /** True if every member pushed every record it holds. */
    public boolean complete() {
        return incomplete.isEmpty();
    }
}
