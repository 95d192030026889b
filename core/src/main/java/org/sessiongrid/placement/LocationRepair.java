package org.sessiongrid.placement;

/**
 * The second phase of a {@link Balancer} run, where location tags matter: owner swaps between two segments where
 * that puts fewer owners of a segment on a shared site, rack or machine. Loads do not change, so the quotas the
 * first phase ({@link OwnedSlots}) established hold.
 *
 * <p>Threading: one per computation, confined to the thread that runs the {@link Balancer}, whose
 * {@link WorkingTable} it changes.
 */
final class LocationRepair {

    private static final int MAX_REPAIR_PASSES = 8;

    private final int n;
    private final int k;
    private final WorkingTable t;
    private final Locations locations;
    private final int[] order;
    /** Scratch for {@link #swapAway}: location gain in the segment examined, per incoming member. */
    private final long[] swapGain;

    LocationRepair(int n, int k, WorkingTable t, Locations locations, FixedOrder ties) {
        this.n = n;
        this.k = k;
        this.t = t;
        this.locations = locations;
        this.order = ties.segments();
        this.swapGain = new long[n];
    }

    /**
     * Swaps owners between two segments while that lowers the location cost: the owner sharing a
     * location in one segment goes to a segment where it does not, and an owner from there comes
     * back. Among improving swaps the one transferring the fewest copies wins, then the biggest
     * improvement. Loads do not change.
     */
    void repair() {
        long floor = locations.fullSegmentFloor();
        for (int pass = 0; pass < MAX_REPAIR_PASSES; pass++) {
            boolean improved = false;
            for (int s : order) {
                for (int position = 0; position < t.size(s); position++) {
                    if (t.size(s) == k && locations.segmentCost(t, s) <= floor) {
                        break;
                    }
                    int a = t.owner(s, position);
                    if (locations.costAgainst(t, s, a, -1) > 0 && swapAway(s, a)) {
                        improved = true;
                    }
                }
            }
            if (!improved) {
                return;
            }
        }
    }

    /**
     * Finds and applies the best swap of {@code a} (an owner of {@code s} sharing a location
     * there) with an owner {@code c} of another segment. Only owners that would fit {@code s}
     * better than {@code a} are considered: a swap whose gain lies entirely in the other segment
     * is found when that segment is examined.
     */
    private boolean swapAway(int s, int a) {
        long leave = -locations.costAgainst(t, s, a, -1);
        for (int c = 0; c < n; c++) {
            swapGain[c] = t.owns(s, c) ? 0 : leave + locations.costAgainst(t, s, c, a);
        }
        int bestSegment = -1;
        int bestOwner = -1;
        int bestTransfer = 0;
        long bestDelta = 0;
        for (int s2 : order) {
            if (s2 == s || t.owns(s2, a)) {
                continue;
            }
            for (int q = 0; q < t.size(s2); q++) {
                int c = t.owner(s2, q);
                if (swapGain[c] >= 0) {
                    continue;
                }
                long delta = swapGain[c] + locations.replaceDelta(t, s2, c, a);
                if (delta >= 0) {
                    continue;
                }
                int transfer = t.transferCost(s2, a) + t.transferCost(s, c)
                        - t.transferCost(s, a) - t.transferCost(s2, c);
                if (bestSegment < 0 || transfer < bestTransfer || transfer == bestTransfer && delta < bestDelta) {
                    bestSegment = s2;
                    bestOwner = c;
                    bestTransfer = transfer;
                    bestDelta = delta;
                }
            }
        }
        if (bestSegment < 0) {
            return false;
        }
        t.replace(s, a, bestOwner);
        t.replace(bestSegment, bestOwner, a);
        return true;
    }
}
