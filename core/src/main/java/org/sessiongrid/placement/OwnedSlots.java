package org.sessiongrid.placement;

import java.util.BitSet;
import java.util.List;

/**
 * The first phase of a {@link Balancer} run: owned slots. Quotas per member ({@link Quotas}); segments lacking
 * owners are filled by members under quota, and members over quota hand slots to members under quota. Every
 * added slot goes to a member under quota, so the copies to transfer add up to the members' deficits, the least
 * any table with these quotas needs. Among equal choices a slot goes where it is placed best, transfers
 * nothing, or reaches a member that set copies of the segment aside ({@link PriorCopies}).
 *
 * <p>Threading: one per computation, confined to the thread that runs the {@link Balancer}, whose
 * {@link WorkingTable} it changes.
 */
final class OwnedSlots {

    private final List<Member> members;
    private final int n;
    private final int numSegments;
    private final int k;
    private final WorkingTable t;
    private final Locations locations;
    private final FixedOrder ties;
    private final int[] order;
    /** Whether the start table held data: then every slot given up or added is priced in transfers. */
    private final boolean transfersMatter;
    /** Per member index, the segments it may hold copies of beyond the start table (null: none). */
    private final BitSet[] prior;
    private final SlotChains chains;
    private int[] quota;

    OwnedSlots(List<Member> members, int k, WorkingTable t, Locations locations, FixedOrder ties,
               boolean transfersMatter, PriorCopies prior) {
        this.members = members;
        this.n = members.size();
        this.numSegments = ties.segments().length;
        this.k = k;
        this.t = t;
        this.locations = locations;
        this.ties = ties;
        this.order = ties.segments();
        this.transfersMatter = transfersMatter;
        this.chains = new SlotChains(n, t, locations, order);
        this.prior = new BitSet[n];
        if (!prior.isEmpty()) {
            for (int m = 0; m < n; m++) {
                BitSet held = prior.segmentsOf(members.get(m));
                this.prior[m] = held.isEmpty() ? null : held;
            }
        }
    }

    /** Gives every segment {@code k} owners and every member its quota of them. */
    void balance() {
        trimToOwnerCount();
        int[] loads = new int[n];
        for (int m = 0; m < n; m++) {
            loads[m] = t.load(m);
        }
        quota = Quotas.owned(members, numSegments, k, loads);
        fillHoles();
        drainSurplus();
        fillHoles();
    }

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
            int tie = ties.tie(s, u);
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
            chains.fill(s, quota);
        } else if (bestCost == 0 || !transfersMatter || !chains.placeBetter(s, bestCost, quota)) {
            t.add(s, best);
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
                        int tie = ties.tie(s, u);
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
}
