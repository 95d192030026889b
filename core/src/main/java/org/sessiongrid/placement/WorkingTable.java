package org.sessiongrid.placement;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The mutable owner table a placement computation works on, with per-member loads kept current
 * and a memory of which owners the starting table had (so that moves can be priced in segment
 * copies to transfer).
 */
final class WorkingTable {

    private final int numSegments;
    private final int numMembers;
    private final int[][] rows;
    private final int[] sizes;
    private final int[] load;
    private final BitSet[] original;

    /**
     * @param numMembers members, indexed 0..numMembers-1
     * @param capacity   the largest row the computation may need
     * @param start      starting rows (indexes into the same member list); copied
     */
    WorkingTable(int numMembers, int capacity, int[][] start) {
        this.numSegments = start.length;
        this.numMembers = numMembers;
        this.rows = new int[numSegments][];
        this.sizes = new int[numSegments];
        this.load = new int[numMembers];
        this.original = new BitSet[numMembers];
        for (int m = 0; m < numMembers; m++) {
            original[m] = new BitSet(numSegments);
        }
        for (int s = 0; s < numSegments; s++) {
            int[] row = start[s];
            rows[s] = Arrays.copyOf(row, Math.max(capacity, row.length));
            sizes[s] = row.length;
            for (int m : row) {
                load[m]++;
                original[m].set(s);
            }
        }
    }

    int numSegments() {
        return numSegments;
    }

    int numMembers() {
        return numMembers;
    }

    int size(int s) {
        return sizes[s];
    }

    int owner(int s, int position) {
        return rows[s][position];
    }

    int load(int m) {
        return load[m];
    }

    boolean owns(int s, int m) {
        return positionOf(s, m) >= 0;
    }

    int positionOf(int s, int m) {
        int[] row = rows[s];
        for (int i = sizes[s] - 1; i >= 0; i--) {
            if (row[i] == m) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code m} owned {@code s} in the starting table: keeping it there costs no transfer. */
    boolean wasOwner(int s, int m) {
        return original[m].get(s);
    }

    /** 0 if {@code m} already held {@code s}'s data at the start, else 1 (one copy to transfer). */
    int transferCost(int s, int m) {
        return original[m].get(s) ? 0 : 1;
    }

    /** Appends {@code m} as the last owner of {@code s}. */
    void add(int s, int m) {
        rows[s][sizes[s]++] = m;
        load[m]++;
    }

    /** Removes {@code m} from {@code s}; the owners after it move up one position. */
    void remove(int s, int m) {
        int i = positionOf(s, m);
        int[] row = rows[s];
        System.arraycopy(row, i + 1, row, i, sizes[s] - i - 1);
        sizes[s]--;
        load[m]--;
    }

    /** Puts {@code incoming} at the position of {@code outgoing} in {@code s}. */
    void replace(int s, int outgoing, int incoming) {
        rows[s][positionOf(s, outgoing)] = incoming;
        load[outgoing]--;
        load[incoming]++;
    }

    void swapPositions(int s, int i, int j) {
        int[] row = rows[s];
        int tmp = row[i];
        row[i] = row[j];
        row[j] = tmp;
    }

    int[][] toRows() {
        int[][] result = new int[numSegments][];
        for (int s = 0; s < numSegments; s++) {
            result[s] = Arrays.copyOf(rows[s], sizes[s]);
        }
        return result;
    }
}
