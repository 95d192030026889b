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
 * The segments members that left the tables without leaving for good may still hold copies of: excluded for a
 * silence, or taken out to join again after a pause. Such a member sets its records aside and, when it returns,
 * catches up cheaply on every segment it kept; the rebalance that takes it back is asked to give it those
 * segments where that costs no more transfers ({@link PriorCopies}).
 *
 * <p>Two sources, the member's word first: a member that rejoins names the segments it kept
 * ({@link #reported}), which holds whichever member coordinates when it returns; what this coordinator saw a
 * member own when it took it out of the tables ({@link #leaving}) stands in for a member of a version that
 * names nothing.
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
        trim();
    }

    /**
     * {@code member}, joining again, says it kept copies of {@code kept}: that replaces what this coordinator
     * remembered of it (it may have kept less, after an earlier return, or more, from two absences).
     */
    void reported(Member member, BitSet kept) {
        shares.remove(member);
        if (!kept.isEmpty()) {
            shares.put(member, (BitSet) kept.clone());
            trim();
        }
    }

    private void trim() {
        for (Iterator<Member> it = shares.keySet().iterator(); shares.size() > MAX_MEMBERS; ) {
            it.next();
            it.remove();
        }
    }

    /**
     * The segments remembered for the members of {@code targets}, each with {@code empty}: a segment known to hold
     * no session costs a returning member nothing to take either, so it is given those before segments new to it
     * that hold sessions (which would travel whole), rather than after.
     */
    PriorCopies hintFor(Collection<Member> targets, BitSet empty) {
        if (shares.isEmpty()) {
            return PriorCopies.NONE;
        }
        Map<Member, BitSet> hint = new HashMap<>();
        for (Member m : targets) {
            BitSet owned = shares.get(m);
            if (owned != null) {
                BitSet cheap = (BitSet) owned.clone();
                cheap.or(empty);
                hint.put(m, cheap);
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
