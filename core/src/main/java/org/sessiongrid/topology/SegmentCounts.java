package org.sessiongrid.topology;

import java.util.BitSet;

/**
 * Live sessions per segment as last reported by each segment's primary (-1: unknown): what a loss of every owner
 * of a segment is reported with, and which segments a rebalance may place without moving anything. Known from the
 * first install on (each install's answers carry counts), and kept up by the members' periodic reports. Confined
 * to the coordinator thread.
 */
final class SegmentCounts {

    /** Null until the first install. */
    private long[] perSegment;

    /** The counts an install's answers carried; a segment without one keeps its last. */
    void installed(long[] counts) {
        if (perSegment == null || perSegment.length != counts.length) {
            perSegment = counts;
        } else {
            for (int s = 0; s < counts.length; s++) {
                if (counts[s] >= 0) {
                    perSegment[s] = counts[s];
                }
            }
        }
    }

    /** A primary's report for the segments it is primary of; ignored before the first install. */
    void reported(int[] segments, int[] sessions) {
        if (perSegment == null) {
            return;
        }
        for (int i = 0; i < segments.length; i++) {
            if (segments[i] >= 0 && segments[i] < perSegment.length) {
                perSegment[segments[i]] = sessions[i];
            }
        }
    }

    /** The sum over every segment, unknown counting as none. */
    long total() {
        long n = 0;
        if (perSegment != null) {
            for (long c : perSegment) {
                n += Math.max(0, c);
            }
        }
        return n;
    }

    /** The sum over {@code segments}, unknown counting as none. */
    long sessionsIn(int[] segments) {
        long n = 0;
        for (int s : segments) {
            n += perSegment == null || perSegment[s] < 0 ? 0 : perSegment[s];
        }
        return n;
    }

    /** The segments whose primaries last reported no live session. */
    BitSet empty() {
        BitSet empty = new BitSet();
        if (perSegment != null) {
            for (int s = 0; s < perSegment.length; s++) {
                empty.set(s, perSegment[s] == 0);
            }
        }
        return empty;
    }
}
