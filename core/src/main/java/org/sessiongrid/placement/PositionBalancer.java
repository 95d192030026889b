package org.sessiongrid.placement;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * The last phase of a {@link Balancer} run: evens out who leads (position 0, the primary) and who is
 * first backup (position 1) among each segment's owners. Exchanging positions inside a segment moves no
 * data, so this phase runs after the owned slots and locations are settled and changes neither; only
 * when no exchange inside segments can even out the primaries does it swap slots between two segments
 * (two transfers, loads unchanged, locations not made worse).
 *
 * <p>Works on the run's {@link WorkingTable} in place; like the run, it is used by one thread and
 * decides every tie in the run's fixed segment order, so every member computes the same table.
 */
final class PositionBalancer {

    private final int n;
    private final int numSegments;
    private final WorkingTable t;
    private final Locations locations;
    /** For each member, the segments it owns in the run's hashed order; recomputed after slot swaps. */
    private final Supplier<int[][]> segmentsByMember;

    PositionBalancer(int n, int numSegments, WorkingTable t, Locations locations, Supplier<int[][]> segmentsByMember) {
        this.n = n;
        this.numSegments = numSegments;
        this.t = t;
        this.locations = locations;
        this.segmentsByMember = segmentsByMember;
    }

    /** Even counts of position {@code p} (0 = primary, 1 = first backup), ceilings to those holding more now. */
    private int[] positionQuota(int p) {
        long[] lo = new long[n];
        long[] hi = new long[n];
        long[] weight = new long[n];
        long[] tie = new long[n];
        int[] below = new int[n];
        for (int s = 0; s < numSegments; s++) {
            for (int i = 0; i < p; i++) {
                below[t.owner(s, i)]++;
            }
            tie[t.owner(s, p)]++;
        }
        for (int m = 0; m < n; m++) {
            hi[m] = t.load(m) - (p == 0 ? 0 : below[m]);
            weight[m] = 1;
        }
        long[] shares = Quotas.share(numSegments, lo, hi, weight, tie);
        int[] result = new int[n];
        for (int m = 0; m < n; m++) {
            result[m] = (int) shares[m];
        }
        return result;
    }

    /**
     * Brings the count of position {@code p} of every member to its quota by exchanging positions
     * inside segments, which moves no data: a member over quota gives position p of a segment to
     * one of that segment's later owners, which, if that puts it over quota, gives position p of
     * another segment on, until a member under quota is reached (breadth-first, so shortest
     * chains). Only when no chain exists for primaries are slots swapped between segments.
     */
    void balance(int p) {
        int[] target = positionQuota(p);
        int[] count = new int[n];
        for (int s = 0; s < numSegments; s++) {
            count[t.owner(s, p)]++;
        }
        int[][] segmentsOf = segmentsByMember.get();
        for (int x = 0; x < n; x++) {
            while (count[x] > target[x]) {
                if (!promoteChain(x, p, count, target, segmentsOf)) {
                    if (p == 0 && swapPrimaryAcross(x, count, target, segmentsOf)) {
                        segmentsOf = segmentsByMember.get();
                    } else {
                        break;
                    }
                }
            }
        }
    }

    private boolean promoteChain(int x, int p, int[] count, int[] target, int[][] segmentsOf) {
        int[] via = new int[n];
        boolean[] seen = new boolean[n];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        seen[x] = true;
        queue.add(x);
        while (!queue.isEmpty()) {
            int y = queue.poll();
            for (int s : segmentsOf[y]) {
                if (t.owner(s, p) != y) {
                    continue;
                }
                for (int q = p + 1; q < t.size(s); q++) {
                    int z = t.owner(s, q);
                    if (seen[z]) {
                        continue;
                    }
                    seen[z] = true;
                    via[z] = s;
                    if (count[z] < target[z]) {
                        for (int cur = z; cur != x; ) {
                            int segment = via[cur];
                            int previous = t.owner(segment, p);
                            t.swapPositions(segment, p, t.positionOf(segment, cur));
                            count[cur]++;
                            count[previous]--;
                            cur = previous;
                        }
                        return true;
                    }
                    queue.add(z);
                }
            }
        }
        return false;
    }

    /**
     * Last resort for primaries: {@code x} hands a primary slot to a member {@code z} under quota
     * that does not own that segment, and takes one of {@code z}'s backup slots elsewhere in
     * exchange (two transfers, loads unchanged, locations not made worse).
     */
    private boolean swapPrimaryAcross(int x, int[] count, int[] target, int[][] segmentsOf) {
        boolean tags = locations.relevant();
        int bestS = -1;
        int bestS2 = -1;
        int bestZ = -1;
        int bestTransfer = 0;
        long bestDelta = 0;
        for (int z = 0; z < n; z++) {
            if (count[z] >= target[z]) {
                continue;
            }
            for (int s : segmentsOf[x]) {
                if (t.owner(s, 0) != x || t.owns(s, z)) {
                    continue;
                }
                for (int s2 : segmentsOf[z]) {
                    int position = t.positionOf(s2, z);
                    if (position < 1 || t.owns(s2, x)) {
                        continue;
                    }
                    long delta = tags ? locations.replaceDelta(t, s, x, z) + locations.replaceDelta(t, s2, z, x) : 0;
                    if (delta > 0) {
                        continue;
                    }
                    int transfer = t.transferCost(s, z) + t.transferCost(s2, x)
                            - t.transferCost(s, x) - t.transferCost(s2, z);
                    if (bestS < 0 || transfer < bestTransfer || transfer == bestTransfer && delta < bestDelta) {
                        bestS = s;
                        bestS2 = s2;
                        bestZ = z;
                        bestTransfer = transfer;
                        bestDelta = delta;
                    }
                }
            }
            if (bestS >= 0) {
                break;
            }
        }
        if (bestS < 0) {
            return false;
        }
        t.replace(bestS, x, bestZ);
        t.replace(bestS2, bestZ, x);
        count[x]--;
        count[bestZ]++;
        return true;
    }
}
