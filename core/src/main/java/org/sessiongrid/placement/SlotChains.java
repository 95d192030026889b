package org.sessiongrid.placement;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Chains of slot hand-overs that fill a segment's hole when the direct fill cannot do well: a member takes the
 * hole and gives up another of its slots, which another member takes, and so on until a member under quota ends
 * the chain (an augmenting path of the segment/member b-matching). Only the member that ends the chain gains a
 * slot; every other member on it gives one up for the one it takes. Used by {@link OwnedSlots}.
 *
 * <p>Threading: one per computation, confined to the thread that runs the {@link Balancer}, whose
 * {@link WorkingTable} it changes. Its searches allocate their own scratch arrays.
 */
final class SlotChains {

    private final int n;
    private final int numSegments;
    private final WorkingTable t;
    private final Locations locations;
    private final int[] order;

    SlotChains(int n, WorkingTable t, Locations locations, int[] order) {
        this.n = n;
        this.numSegments = order.length;
        this.t = t;
        this.locations = locations;
        this.order = order;
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
    boolean placeBetter(int start, long bestCost, int[] quota) {
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
                        apply(y, entersSegment, vacatedBy);
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
    void fill(int start, int[] quota) {
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
                apply(x, entersSegment, vacatedBy);
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
    private void apply(int last, int[] entersSegment, int[] vacatedBy) {
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
}
