package org.sessiongrid.placement;

import java.util.List;

/**
 * One placement computation: from a starting table (already stripped of departed members) to a
 * balanced table for the given members.
 *
 * <p>Phases, each keeping what the previous ones established, each its own object over the one
 * {@link WorkingTable}:
 * <ol>
 * <li>owned slots ({@link OwnedSlots}): quotas per member ({@link Quotas}); segments lacking owners are
 *     filled by members under quota, and members over quota hand slots to members under quota. Every
 *     added slot goes to a member under quota, so the copies to transfer add up to the members'
 *     deficits, the least any table with these quotas needs;</li>
 * <li>locations ({@link LocationRepair}): owner swaps between two segments where that puts fewer owners
 *     of a segment on a shared site, rack or machine (loads unchanged);</li>
 * <li>primaries, then first backups ({@link PositionBalancer}): positions exchanged inside segments along augmenting paths,
 *     which moves no data.</li>
 * </ol>
 * Every choice is made in a fixed order (members by id, segments by a hash of their number) and
 * ties are broken by hashes of member ids and segment numbers ({@link FixedOrder}), so all nodes compute
 * the same table, and no member is favoured by its place in the id order.
 *
 * <p>Threading: one per computation, confined to the thread that calls {@link #run}.
 */
final class Balancer {

    private final List<Member> members;
    private final int n;
    private final int numSegments;
    private final int k;
    private final WorkingTable t;
    private final Locations locations;
    private final FixedOrder ties;
    private final OwnedSlots owned;

    /**
     * @param members   sorted by id, distinct, not empty
     * @param numOwners requested owners per segment, at least 1
     * @param start     starting rows as indexes into {@code members}
     * @param prior     segments of which members may hold copies the start rows do not list
     */
    Balancer(List<Member> members, int numOwners, int[][] start, PriorCopies prior) {
        this.members = members;
        this.n = members.size();
        this.numSegments = start.length;
        this.k = Math.min(numOwners, n);
        int capacity = k;
        for (int[] row : start) {
            capacity = Math.max(capacity, row.length);
        }
        this.t = new WorkingTable(n, capacity, start);
        boolean anyData = false;
        for (int[] row : start) {
            anyData |= row.length > 0;
        }
        this.locations = new Locations(members, k);
        this.ties = new FixedOrder(members, numSegments);
        this.owned = new OwnedSlots(members, k, t, locations, ties, anyData, prior);
    }

    OwnerTable run() {
        owned.balance();
        if (locations.relevant()) {
            new LocationRepair(n, k, t, locations, ties).repair();
        }
        PositionBalancer positions = new PositionBalancer(n, numSegments, t, locations, this::segmentsByMember);
        positions.balance(0);
        if (k >= 3) {
            positions.balance(1);
        }
        return new OwnerTable(members, numSegments, t.toRows());
    }

    /** For each member, the segments it owns, in the hashed segment order. */
    private int[][] segmentsByMember() {
        int[][] result = new int[n][];
        int[] fill = new int[n];
        for (int m = 0; m < n; m++) {
            result[m] = new int[t.load(m)];
        }
        for (int s : ties.segments()) {
            for (int i = 0; i < t.size(s); i++) {
                int m = t.owner(s, i);
                result[m][fill[m]++] = s;
            }
        }
        return result;
    }
}
