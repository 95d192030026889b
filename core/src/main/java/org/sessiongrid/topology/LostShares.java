package org.sessiongrid.topology;

import java.util.BitSet;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;

/**
 * The segments members took with them when they left the tables: every owner of each departed at once, and the
 * segment restarted empty on a live member. A member that departed that way was often only excluded (a pause, a
 * cut) and comes back with the copies it set aside, the only ones of those segments; its rejoin is answered with
 * the part of its loss it kept copies of ({@link #lostWith}), which it pushes back to the segments' primaries where
 * the keys are still unknown (see design.md, "The rejoin of a segment's only owner").
 *
 * <p>Beside {@link DepartedShares}, with its bound and ageing: an entry goes when its member owns segments again with
 * no rebalance under way (it is back; a rejoin after that names copies of a later absence), and the oldest go beyond
 * {@link DepartedShares#MAX_MEMBERS} (a member that crashed never returns under the same id). The memory lives with
 * the coordinator that removed the member. Confined to the coordinator thread.
 */
final class LostShares {

    private final LinkedHashMap<Member, SegmentLoss> losses = new LinkedHashMap<>();

    /**
     * {@code departed} leave {@code table} at once, and {@code lost} (segments none of whose owners is live) restart
     * empty in topology {@code restartedIn}: each departed owner of a lost segment took it with it.
     */
    void leaving(OwnerTable table, Collection<Member> departed, int[] lost, long restartedIn) {
        if (lost.length == 0) {
            return;
        }
        for (Member m : departed) {
            BitSet took = new BitSet();
            for (int s : lost) {
                took.set(s, table.isOwner(m, s));
            }
            if (took.isEmpty()) {
                continue;
            }
            SegmentLoss loss = new SegmentLoss(took, restartedIn);
            SegmentLoss before = losses.remove(m);
            losses.put(m, before == null ? loss : before.and(loss));
        }
        for (Iterator<Member> it = losses.keySet().iterator(); losses.size() > DepartedShares.MAX_MEMBERS; ) {
            it.next();
            it.remove();
        }
    }

    /**
     * What {@code member}, joining again having kept copies of {@code kept}, took with it of those. The entry stays
     * until the member is back ({@link #settled}): a join whose answer was lost is asked again, and answered alike.
     */
    SegmentLoss lostWith(Member member, BitSet kept) {
        SegmentLoss loss = losses.get(member);
        return loss == null ? SegmentLoss.NONE : loss.within(kept);
    }

    /** {@code table} is in force with no rebalance under way: members owning segments in it are back. */
    void settled(OwnerTable table) {
        losses.keySet().removeIf(m -> table.ownedCount(m) > 0);
    }

    /** Members remembered (for tests). */
    int size() {
        return losses.size();
    }
}
