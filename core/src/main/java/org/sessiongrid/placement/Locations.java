package org.sessiongrid.placement;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Location tags of the members of one computation, reduced to small ints, and the cost of
 * putting two members in the same segment.
 *
 * <p>The cost of a pair is {@code siteWeight} if they share a site, plus {@code rackWeight} if
 * they share a rack, plus 1 if they share a machine. The weights make any change of at most two
 * segments compare lexicographically (sites first, then racks, then machines): one site
 * conflict avoided is worth more than every rack and machine conflict two segments can hold.
 */
final class Locations {

    private final int[] site;
    private final int[] rack;
    private final int[] machine;
    private final long rackWeight;
    private final long siteWeight;
    private final boolean relevant;
    private final long fullSegmentFloor;

    Locations(List<Member> members, int numOwners) {
        int n = members.size();
        site = new int[n];
        rack = new int[n];
        machine = new int[n];
        // The maps only hand out ids in member order; nothing iterates them.
        Map<List<String>, Integer> sites = new HashMap<>();
        Map<List<String>, Integer> racks = new HashMap<>();
        Map<List<String>, Integer> machines = new HashMap<>();
        for (int m = 0; m < n; m++) {
            Member member = members.get(m);
            site[m] = intern(sites, Arrays.asList(member.site()));
            rack[m] = intern(racks, Arrays.asList(member.site(), member.rack()));
            machine[m] = intern(machines, Arrays.asList(member.site(), member.rack(), member.machine()));
        }
        long pairs = (long) numOwners * (numOwners - 1) / 2;
        rackWeight = 2 * pairs + 1;
        siteWeight = 2 * pairs * (rackWeight + 1) + 1;
        // All on one machine: every pair costs the same. No two on one site: every pair costs 0.
        // Either way the tags cannot tell placements apart.
        relevant = numOwners > 1 && machines.size() > 1 && sites.size() < n;
        fullSegmentFloor = siteWeight * evenSpreadPairs(numOwners, sites.size())
                + rackWeight * evenSpreadPairs(numOwners, racks.size())
                + evenSpreadPairs(numOwners, machines.size());
    }

    /** Whether tags can make one placement better than another. */
    boolean relevant() {
        return relevant;
    }

    /**
     * A lower bound of the cost of a segment with the full owner count: owners spread as evenly
     * as the number of distinct sites, racks and machines allows. A segment at this bound cannot
     * be improved.
     */
    long fullSegmentFloor() {
        return fullSegmentFloor;
    }

    long pairCost(int a, int b) {
        long cost = 0;
        if (site[a] == site[b]) {
            cost += siteWeight;
            if (rack[a] == rack[b]) {
                cost += rackWeight;
                if (machine[a] == machine[b]) {
                    cost += 1;
                }
            }
        }
        return cost;
    }

    /** Cost of {@code m} against the owners of {@code s} other than {@code m} and {@code skip}. */
    long costAgainst(WorkingTable t, int s, int m, int skip) {
        long cost = 0;
        for (int i = t.size(s) - 1; i >= 0; i--) {
            int o = t.owner(s, i);
            if (o != m && o != skip) {
                cost += pairCost(m, o);
            }
        }
        return cost;
    }

    /** Cost change of segment {@code s} when {@code incoming} (not an owner) replaces {@code outgoing}. */
    long replaceDelta(WorkingTable t, int s, int outgoing, int incoming) {
        return costAgainst(t, s, incoming, outgoing) - costAgainst(t, s, outgoing, outgoing);
    }

    long segmentCost(WorkingTable t, int s) {
        long cost = 0;
        int size = t.size(s);
        for (int i = 0; i < size; i++) {
            for (int j = i + 1; j < size; j++) {
                cost += pairCost(t.owner(s, i), t.owner(s, j));
            }
        }
        return cost;
    }

    private static int intern(Map<List<String>, Integer> ids, List<String> key) {
        Integer id = ids.get(key);
        if (id == null) {
            id = ids.size();
            ids.put(key, id);
        }
        return id;
    }

    /** Pairs sharing a location when {@code k} owners spread as evenly as possible over {@code g} locations. */
    private static long evenSpreadPairs(int k, int g) {
        long q = k / g;
        long r = k % g;
        return r * (q + 1) * q / 2 + (g - r) * q * (q - 1) / 2;
    }
}
