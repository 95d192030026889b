package org.sessiongrid.placement;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * One placement computation: from a starting table (already stripped of departed members) to a
 * balanced table for the given members.
 *
 * <p>Phases, each keeping what the previous ones established:
 * <ol>
 * <li>owned slots: quotas per member ({@link Quotas}); segments lacking owners are filled by
 *     members under quota, and members over quota hand slots to members under quota. Every
 *     added slot goes to a member under quota, so the copies to transfer add up to the members'
 *     deficits, the least any table with these quotas needs;</li>
 * <li>locations: owner swaps between two segments where that puts fewer owners of a segment on
 *     a shared site, rack or machine (loads unchanged);</li>
 * <li>primaries, then first backups ({@link PositionBalancer}): positions exchanged inside segments along augmenting paths,
 *     which moves no data.</li>
 * </ol>
 * Every choice is made in a fixed order (members by id, segments by a hash of their number) and
 * ties are broken by hashes of member ids and segment numbers, so all nodes compute the same
 * table, and no member is favoured by its place in the id order.
 */
final class Balancer {

    private static final int SEGMENT_ORDER_SEED = 0x5e551071;
    private static final int MEMBER_SEED = 0x0dd5eed5;
    private static final int MAX_REPAIR_PASSES = 8;

    private final List<Member> members;
    private final int n;
    private final int numSegments;
    private final int k;
    private final WorkingTable t;
    private final Locations locations;
    private final int[] order;
    private final int[] segmentHash;
    private final int[] memberHash;
    private int[] quota;
    /** Whether the start table held data: then every slot given up or added is priced in transfers. */
    private final boolean transfersMatter;
    /** Scratch for {@link #swapAway}: location gain in the segment examined, per incoming member. */
    private final long[] swapGain;
    /** Per member index, the segments it may hold copies of beyond the start table (null: none). */
    private final BitSet[] prior;

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
        this.transfersMatter = anyData;
        this.locations = new Locations(members, k);
        this.segmentHash = new int[numSegments];
        for (int s = 0; s < numSegments; s++) {
            segmentHash[s] = SegmentHash.hashInt(s, SEGMENT_ORDER_SEED);
        }
        this.order = segmentOrder(segmentHash);
        this.swapGain = new long[n];
        this.memberHash = new int[n];
        for (int m = 0; m < n; m++) {
            memberHash[m] = SegmentHash.murmur3_32(members.get(m).id().getBytes(StandardCharsets.UTF_8), MEMBER_SEED);
        }
        this.prior = new BitSet[n];
        if (!prior.isEmpty()) {
            for (int m = 0; m < n; m++) {
                BitSet held = prior.segmentsOf(members.get(m));
                this.prior[m] = held.isEmpty() ? null : held;
            }
        }
    }

    OwnerTable run() {
        trimToOwnerCount();
        int[] loads = new int[n];
        for (int m = 0; m < n; m++) {
            loads[m] = t.load(m);
        }
        quota = Quotas.owned(members, numSegments, k, loads);
        fillHoles();
        drainSurplus();
        fillHoles();
        if (locations.relevant()) {
            repairLocations();
        }
        PositionBalancer positions = new PositionBalancer(n, numSegments, t, locations, this::segmentsByMember);
        positions.balance(0);
        if (k >= 3) {
            positions.balance(1);
        }
        return new OwnerTable(members, numSegments, t.toRows());
    }

    // ---------------------------------------------------------------- owned slots

    /** When the owner count shrinks, drop surplus backups: worst placed, then most loaded first. */
    private void trimToOwnerCount() {
        for (int s = 0; s < numSegments; s++) {
            while (t.size(s) > k) {
                int victim = -1;
                long victimCost = -1;
                for (int i = 1; i < t.size(s); i++) {
                    int m = t.owner(s, i);
                    long cost = locations.costAgainst(t, s, m, -1);
                    if (victim < 0 || cost > victimCost || cost == victimCost && t.load(m) >= t.load(victim)) {
                        victim = m;
                        victimCost = cost;
                    }
                }
                t.remove(s, victim);
            }
        }
    }

    /**
     * Gives every segment k owners, one round of owners at a time so that each member's picks
     * spread over all segments (which also hands out first positions, the primaries, evenly).
     */
    private void fillHoles() {
        for (int round = 0; round < k; round++) {
            for (int s : order) {
                while (t.size(s) <= round) {
                    fillOne(s);
                }
            }
        }
    }

    /**
     * Adds the best member under quota to {@code s}: best location, no transfer, copies set aside there,
     * largest deficit.
     */
    private void fillOne(int s) {
        boolean tags = locations.relevant();
        int best = -1;
        long bestCost = 0;
        int bestTransfer = 0;
        int bestFetch = 0;
        int bestDeficit = 0;
        int bestTie = 0;
        for (int u = 0; u < n; u++) {
            int deficit = quota[u] - t.load(u);
            if (deficit <= 0 || t.owns(s, u)) {
                continue;
            }
            long cost = tags ? locations.costAgainst(t, s, u, -1) : 0;
            int transfer = t.transferCost(s, u);
            int fetch = fetchCost(s, u);
            int tie = tieHash(s, u);
            int c = best < 0 ? -1 : Long.compare(cost, bestCost);
            if (c == 0) {
                c = Integer.compare(transfer, bestTransfer);
            }
            if (c == 0) {
                c = Integer.compare(fetch, bestFetch);
            }
            if (c == 0) {
                c = Integer.compare(bestDeficit, deficit);
            }
            if (c == 0) {
                c = Integer.compare(tie, bestTie);
            }
            if (c < 0) {
                best = u;
                bestCost = cost;
                bestTransfer = transfer;
                bestFetch = fetch;
                bestDeficit = deficit;
                bestTie = tie;
            }
        }
        if (best < 0) {
            augmentFill(s);
        } else if (bestCost == 0 || !transfersMatter || !placeBetterByChain(s, bestCost)) {
            t.add(s, best);
        }
    }

    /**
     * Fills the hole in {@code start} with a member placed better than {@code bestCost} (the best
     * a member under quota can do there) when one at quota can make room: it takes the hole and
     * gives up a slot it gained in this computation to another member placed no worse there,
     * and so on until a member under quota ends the chain. Only slots gained in this computation
     * are given up, so the chain transfers no more copies than a direct fill; every segment on it
     * is placed no worse and the hole better.
     *
     * @return whether such a chain was found and applied
     */
    private boolean placeBetterByChain(int start, long bestCost) {
        boolean anyBetter = false;
        for (int x = 0; x < n && !anyBetter; x++) {
            anyBetter = !t.owns(start, x) && locations.costAgainst(t, start, x, -1) < bestCost;
        }
        if (!anyBetter) {
            return false;
        }
        int[] entersSegment = new int[n];
        boolean[] memberSeen = new boolean[n];
        int[] vacatedBy = new int[numSegments];
        boolean[] segmentSeen = new boolean[numSegments];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        segmentSeen[start] = true;
        vacatedBy[start] = -1;
        for (int x = 0; x < n; x++) {
            if (!t.owns(start, x) && locations.costAgainst(t, start, x, -1) < bestCost) {
                memberSeen[x] = true;
                entersSegment[x] = start;
                queue.add(x);
            }
        }
        while (!queue.isEmpty()) {
            int x = queue.poll();
            for (int s : order) {
                if (segmentSeen[s] || t.wasOwner(s, x) || !t.owns(s, x)) {
                    continue;
                }
                segmentSeen[s] = true;
                vacatedBy[s] = x;
                long current = locations.costAgainst(t, s, x, -1);
                for (int y = 0; y < n; y++) {
                    if (memberSeen[y] || t.owns(s, y) || locations.costAgainst(t, s, y, x) > current) {
                        continue;
                    }
                    memberSeen[y] = true;
                    entersSegment[y] = s;
                    if (t.load(y) < quota[y]) {
                        applyChain(y, entersSegment, vacatedBy);
                        return true;
                    }
                    queue.add(y);
                }
            }
        }
        return false;
    }

    /**
     * Fills a hole in {@code start} when every member under quota already owns it: a member at
     * quota takes the hole and gives up another of its segments, which another member takes, and
     * so on until a member under quota ends the chain. Such a chain always exists (it is an
     * augmenting path of the segment/member b-matching). The chain found is a cheapest one (0-1
     * BFS): giving up a slot held at the start costs one more transfer, giving up a slot gained
     * in this computation costs nothing.
     */
    private void augmentFill(int start) {
        int[] memberDist = new int[n];
        int[] segmentDist = new int[numSegments];
        Arrays.fill(memberDist, Integer.MAX_VALUE);
        Arrays.fill(segmentDist, Integer.MAX_VALUE);
        int[] entersSegment = new int[n];
        int[] vacatedBy = new int[numSegments];
        boolean[] memberDone = new boolean[n];
        boolean[] segmentDone = new boolean[numSegments];
        ArrayDeque<Integer> deque = new ArrayDeque<>(); // members as m, segments as n + s
        segmentDist[start] = 0;
        vacatedBy[start] = -1;
        deque.add(n + start);
        while (!deque.isEmpty()) {
            int node = deque.pollFirst();
            if (node >= n) {
                int s = node - n;
                if (segmentDone[s]) {
                    continue;
                }
                segmentDone[s] = true;
                int d = segmentDist[s];
                for (int y = 0; y < n; y++) {
                    if (d < memberDist[y] && !t.owns(s, y)) {
                        memberDist[y] = d;
                        entersSegment[y] = s;
                        deque.addFirst(y);
                    }
                }
                continue;
            }
            int x = node;
            if (memberDone[x]) {
                continue;
            }
            memberDone[x] = true;
            if (t.load(x) < quota[x]) {
                applyChain(x, entersSegment, vacatedBy);
                return;
            }
            int d = memberDist[x];
            for (int s : order) {
                if (!t.owns(s, x)) {
                    continue;
                }
                int w = t.transferCost(s, x) == 0 ? 1 : 0;
                if (d + w < segmentDist[s]) {
                    segmentDist[s] = d + w;
                    vacatedBy[s] = x;
                    if (w == 0) {
                        deque.addFirst(n + s);
                    } else {
                        deque.addLast(n + s);
                    }
                }
            }
        }
        throw new IllegalStateException("no member can take segment " + start);
    }

    /**
     * Applies a chain found by a search from a hole: walking back from the member under quota,
     * each member takes the place of the one that gave its segment up, and the first one of the
     * chain takes the hole (marked by {@code vacatedBy == -1}).
     */
    private void applyChain(int last, int[] entersSegment, int[] vacatedBy) {
        int incoming = last;
        while (true) {
            int s = entersSegment[incoming];
            int outgoing = vacatedBy[s];
            if (outgoing < 0) {
                t.add(s, incoming);
                return;
            }
            t.replace(s, outgoing, incoming);
            incoming = outgoing;
        }
    }

    /**
     * Members over quota hand slots to members under quota, one slot at a time, choosing the
     * (segment, receiver) that places best, transfers nothing if possible, else goes to a receiver
     * that set copies of it aside (of those, first the segments fewest other givers could hand it),
     * keeps the giver's primaries, and serves the largest deficit. When no receiver can take any of the giver's
     * segments, the slot is just released and {@link #fillHoles()} places it.
     */
    private void drainSurplus() {
        boolean tags = locations.relevant();
        int[] receivers = new int[n];
        for (int o = 0; o < n; o++) {
            while (t.load(o) > quota[o]) {
                int receiverCount = 0;
                for (int u = 0; u < n; u++) {
                    if (t.load(u) < quota[u]) {
                        receivers[receiverCount++] = u;
                    }
                }
                int bestSegment = -1;
                int bestReceiver = -1;
                long bestDelta = 0;
                int bestTransfer = 0;
                int bestFetch = 0;
                int bestOthers = 0;
                int bestPrimary = 0;
                int bestDeficit = 0;
                int bestTie = 0;
                for (int s : order) {
                    int position = t.positionOf(s, o);
                    if (position < 0) {
                        continue;
                    }
                    int primary = position == 0 ? 1 : 0;
                    for (int i = 0; i < receiverCount; i++) {
                        int u = receivers[i];
                        if (t.owns(s, u)) {
                            continue;
                        }
                        long delta = tags ? locations.replaceDelta(t, s, o, u) : 0;
                        int transfer = t.transferCost(s, u);
                        int fetch = fetchCost(s, u);
                        int others = fetch == 0 ? otherGivers(s, o) : 0;
                        int deficit = quota[u] - t.load(u);
                        int tie = tieHash(s, u);
                        int c = bestSegment < 0 ? -1 : Long.compare(delta, bestDelta);
                        if (c == 0) {
                            c = Integer.compare(transfer, bestTransfer);
                        }
                        if (c == 0) {
                            c = Integer.compare(fetch, bestFetch);
                        }
                        if (c == 0) {
                            c = Integer.compare(others, bestOthers);
                        }
                        if (c == 0) {
                            c = Integer.compare(primary, bestPrimary);
                        }
                        if (c == 0) {
                            c = Integer.compare(bestDeficit, deficit);
                        }
                        if (c == 0) {
                            c = Integer.compare(tie, bestTie);
                        }
                        if (c < 0) {
                            bestSegment = s;
                            bestReceiver = u;
                            bestDelta = delta;
                            bestTransfer = transfer;
                            bestFetch = fetch;
                            bestOthers = others;
                            bestPrimary = primary;
                            bestDeficit = deficit;
                            bestTie = tie;
                        }
                    }
                }
                if (bestSegment >= 0) {
                    t.replace(bestSegment, o, bestReceiver);
                } else {
                    releaseOne(o);
                }
            }
        }
    }

    /** Removes {@code o} from its worst placed slot; at equal placement a backup slot rather than a primary. */
    private void releaseOne(int o) {
        int bestSegment = -1;
        long bestKey = Long.MIN_VALUE;
        for (int s : order) {
            int position = t.positionOf(s, o);
            if (position < 0) {
                continue;
            }
            long key = locations.costAgainst(t, s, o, -1) * 2 + (position == 0 ? 0 : 1);
            if (bestSegment < 0 || key > bestKey) {
                bestSegment = s;
                bestKey = key;
            }
        }
        t.remove(bestSegment, o);
    }

    // ---------------------------------------------------------------- locations

    /**
     * Swaps owners between two segments while that lowers the location cost: the owner sharing a
     * location in one segment goes to a segment where it does not, and an owner from there comes
     * back. Among improving swaps the one transferring the fewest copies wins, then the biggest
     * improvement. Loads do not change.
     */
    private void repairLocations() {
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

    /** For each member, the segments it owns, in the hashed segment order. */
    private int[][] segmentsByMember() {
        int[][] result = new int[n][];
        int[] fill = new int[n];
        for (int m = 0; m < n; m++) {
            result[m] = new int[t.load(m)];
        }
        for (int s : order) {
            for (int i = 0; i < t.size(s); i++) {
                int m = t.owner(s, i);
                result[m][fill[m]++] = s;
            }
        }
        return result;
    }

    /**
     * Among slots that cost the same transfers: 0 if {@code m} may hold set-aside copies of {@code s} (its pull
     * then fetches only what changed since), else 1 (the whole segment travels).
     */
    private int fetchCost(int s, int m) {
        return prior[m] != null && prior[m].get(s) ? 0 : 1;
    }

    /**
     * How many owners of {@code s} besides {@code giver} are still over quota: a giver hands a receiver first the
     * set-aside segments no other giver could hand it, so that the givers after it still have some to give.
     */
    private int otherGivers(int s, int giver) {
        int count = 0;
        for (int i = 0; i < t.size(s); i++) {
            int m = t.owner(s, i);
            if (m != giver && t.load(m) > quota[m]) {
                count++;
            }
        }
        return count;
    }

    // ---------------------------------------------------------------- determinism helpers

    private int tieHash(int s, int m) {
        return SegmentHash.hashInt(memberHash[m], segmentHash[s]);
    }

    private static int[] segmentOrder(int[] hashes) {
        Integer[] boxed = new Integer[hashes.length];
        for (int s = 0; s < hashes.length; s++) {
            boxed[s] = s;
        }
        Arrays.sort(boxed, (a, b) -> {
            int c = Integer.compare(hashes[a], hashes[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] result = new int[hashes.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = boxed[i];
        }
        return result;
    }
}
