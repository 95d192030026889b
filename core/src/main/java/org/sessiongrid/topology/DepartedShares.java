package org.sessiongrid.topology;

import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.PriorCopies;

/**
 * The coordinator's memory of the segments members owned when they left the tables without leaving for good:
 * excluded for a silence, or taken out to join again after a pause. Such a member sets its records aside and,
 * when it returns, catches up cheaply on every segment it kept; the rebalance that takes it back is asked to
 * give it those segments where that costs no more transfers ({@link PriorCopies}).
 *
 * <p>An entry goes when its member owns segments again with no rebalance under way (it is back, and what it
 * did not get back it forgot), and the oldest go beyond {@link #MAX_MEMBERS} (a member that crashed never
 * returns under the same id). Confined to the coordinator thread.
 */
final class DepartedShares {

    /** Members remembered at most: 128 bytes each for 1,024 segments. */
    static final int MAX_MEMBERS = 64;

    private final LinkedHashMap<Member, BitSet> shares = new LinkedHashMap<>();

    /** Remembers what each of {@code members} owns in {@code table}, which they are about to leave. */
    void leaving(OwnerTable table, Collection<Member> members) {
        for (Member m : members) {
            BitSet owned = table.segmentsOwnedBy(m);
            if (owned.isEmpty()) {
                continue;
            }
            shares.remove(m);
            shares.put(m, owned);
        }
        for (Iterator<Member> it = shares.keySet().iterator(); shares.size() > MAX_MEMBERS; ) {
            it.next();
            it.remove();
        }
    }

    /** The segments remembered for the members of {@code targets}. */
    PriorCopies hintFor(Collection<Member> targets) {
        if (shares.isEmpty()) {
            return PriorCopies.NONE;
        }
        Map<Member, BitSet> hint = new HashMap<>();
        for (Member m : targets) {
            BitSet owned = shares.get(m);
            if (owned != null) {
                hint.put(m, owned);
            }
        }
        return PriorCopies.of(hint);
    }

    /** {@code table} is in force with no rebalance under way: members owning segments in it are back. */
    void settled(OwnerTable table) {
        shares.keySet().removeIf(m -> table.ownedCount(m) > 0);
    }

    /** Members remembered (for tests). */
    int size() {
        return shares.size();
    }
}
