package org.sessiongrid.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * How many segment slots each member should hold.
 *
 * <p>Without tags, and whenever the tags do not get in the way, every member gets the floor or
 * the ceiling of the mean (total slots / members); the ceilings go to the members holding the
 * most now, so that as few slots as possible have to move.
 *
 * <p>With tags, a location can be too small or too big for its share. The owners of a segment
 * spread over distinct sites, then racks, then machines, so a location can usefully hold between
 * {@code floor(f/G)} and {@code ceil(c/G)} owners of every segment, where its parent location
 * holds between {@code f} and {@code c} and has {@code G} sub-locations (the whole cluster holds
 * exactly k). A member may move away from the mean by up to 10% (never more) to bring its
 * locations towards those ranges; sites take precedence over racks and racks over machines.
 * Balance thus always stays within ±10% of the mean, and is exact when the layout is symmetric.
 */
final class Quotas {

    private Quotas() {
    }

    /**
     * Owned-slot quotas.
     *
     * @param members     the members, sorted by id
     * @param numSegments segments
     * @param k           owners per segment, at most the member count
     * @param currentLoad slots each member holds now
     * @return a quota per member, summing to {@code numSegments * k}
     */
    static int[] owned(List<Member> members, int numSegments, int k, int[] currentLoad) {
        int n = members.size();
        long total = (long) numSegments * k;
        long floorMean = total / n;
        long ceilMean = (total + n - 1) / n;
        long lowest = Math.min(floorMean, (9 * total + 10L * n - 1) / (10L * n));
        long highest = Math.min(numSegments, Math.max(ceilMean, 11 * total / (10L * n)));

        Node root = new Node(-1);
        root.spreadLo = total;
        root.spreadHi = total;
        Map<List<String>, Node> nodes = new HashMap<>();
        for (int m = 0; m < n; m++) {
            Member member = members.get(m);
            Node siteNode = child(nodes, root, Arrays.asList("s", member.site()));
            Node rackNode = child(nodes, siteNode, Arrays.asList("r", member.site(), member.rack()));
            Node machineNode = child(nodes, rackNode,
                    Arrays.asList("m", member.site(), member.rack(), member.machine()));
            Node leaf = new Node(m);
            leaf.hardLo = lowest;
            leaf.hardHi = highest;
            machineNode.children.add(leaf);
        }
        spreadRanges(root, k, k, numSegments);
        bounds(root, currentLoad);
        int[] quota = new int[n];
        allocate(root, total, quota);
        return quota;
    }

    /**
     * Shares {@code amount} units among parties so that units per weight come out as even as the
     * bounds allow, handing out one unit at a time to the party with the lowest level (ties: the
     * highest {@code tie}, then the lowest index).
     *
     * @return each party's share, within [lo, hi]
     */
    static long[] share(long amount, long[] lo, long[] hi, long[] weight, long[] tie) {
        int count = lo.length;
        long[] shares = lo.clone();
        long remaining = amount;
        for (long l : lo) {
            remaining -= l;
        }
        if (remaining < 0) {
            throw new IllegalStateException("lower bounds exceed the amount to share");
        }
        // Sainte-Laguë: the next unit goes to the lowest (2 * share + 1) / weight, which rounds
        // without favouring big or small parties.
        PriorityQueue<Integer> queue = new PriorityQueue<>((a, b) -> {
            int c = Long.compare((2 * shares[a] + 1) * weight[b], (2 * shares[b] + 1) * weight[a]);
            if (c != 0) {
                return c;
            }
            c = Long.compare(tie[b], tie[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        for (int i = 0; i < count; i++) {
            if (shares[i] < hi[i]) {
                queue.add(i);
            }
        }
        while (remaining > 0) {
            Integer next = queue.poll();
            if (next == null) {
                throw new IllegalStateException("upper bounds below the amount to share");
            }
            shares[next]++;
            remaining--;
            if (shares[next] < hi[next]) {
                queue.add(next);
            }
        }
        return shares;
    }

    private static Node child(Map<List<String>, Node> nodes, Node parent, List<String> key) {
        Node node = nodes.get(key);
        if (node == null) {
            node = new Node(-1);
            nodes.put(key, node);
            parent.children.add(node);
        }
        return node;
    }

    /** Top down: the range of slots each location would hold with perfectly spread segments. */
    private static void spreadRanges(Node node, int most, int least, int numSegments) {
        int g = node.children.size();
        for (Node c : node.children) {
            int childMost = (most + g - 1) / g;
            int childLeast = least / g;
            if (c.member >= 0) {
                childMost = Math.min(1, childMost);
                childLeast = Math.min(1, childLeast);
            }
            c.spreadLo = (long) childLeast * numSegments;
            c.spreadHi = (long) childMost * numSegments;
            spreadRanges(c, childMost, childLeast, numSegments);
        }
    }

    /**
     * Bottom up: hard bounds (sums of the members' ±10% bounds) and preferred bounds (the spread
     * range, or the nearest point of the hard bounds if they do not meet).
     */
    private static void bounds(Node node, int[] currentLoad) {
        if (node.member >= 0) {
            node.weight = 1;
            node.current = currentLoad[node.member];
        } else {
            for (Node c : node.children) {
                bounds(c, currentLoad);
                node.hardLo += c.hardLo;
                node.hardHi += c.hardHi;
                node.weight += c.weight;
                node.current += c.current;
            }
        }
        if (node.spreadHi < node.hardLo) {
            node.prefLo = node.prefHi = node.hardLo;
        } else if (node.spreadLo > node.hardHi) {
            node.prefLo = node.prefHi = node.hardHi;
        } else {
            node.prefLo = Math.max(node.spreadLo, node.hardLo);
            node.prefHi = Math.min(node.spreadHi, node.hardHi);
        }
    }

    /**
     * Top down: split a location's slots among its sub-locations, keeping each within its
     * preferred range if the amount allows, else as close to it as the hard bounds allow.
     */
    private static void allocate(Node node, long amount, int[] quota) {
        if (node.member >= 0) {
            quota[node.member] = Math.toIntExact(amount);
            return;
        }
        int g = node.children.size();
        long[] lo = new long[g];
        long[] hi = new long[g];
        long[] weight = new long[g];
        long[] tie = new long[g];
        long prefLoSum = 0;
        long prefHiSum = 0;
        for (Node c : node.children) {
            prefLoSum += c.prefLo;
            prefHiSum += c.prefHi;
        }
        for (int i = 0; i < g; i++) {
            Node c = node.children.get(i);
            if (amount < prefLoSum) {
                lo[i] = c.hardLo;
                hi[i] = c.prefLo;
            } else if (amount <= prefHiSum) {
                lo[i] = c.prefLo;
                hi[i] = c.prefHi;
            } else {
                lo[i] = c.prefHi;
                hi[i] = c.hardHi;
            }
            weight[i] = c.weight;
            tie[i] = c.current;
        }
        long[] shares = share(amount, lo, hi, weight, tie);
        for (int i = 0; i < g; i++) {
            allocate(node.children.get(i), shares[i], quota);
        }
    }

    private static final class Node {
        final int member;
        final List<Node> children = new ArrayList<>();
        long weight;
        long current;
        long spreadLo;
        long spreadHi;
        long hardLo;
        long hardHi;
        long prefLo;
        long prefHi;

        Node(int member) {
            this.member = member;
        }
    }
}
