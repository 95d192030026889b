package org.sessiongrid.placement;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The fixed order in which a {@link Balancer} run makes its choices (segments by a hash of their number) and
 * the hashes of member ids and segment numbers that break its ties, so that every node computes the same
 * table and no member is favoured by its place in the id order. Immutable once built; one per computation.
 */
final class FixedOrder {

    private static final int SEGMENT_ORDER_SEED = 0x5e551071;
    private static final int MEMBER_SEED = 0x0dd5eed5;

    private final int[] segmentHash;
    private final int[] memberHash;
    private final int[] segments;

    FixedOrder(List<Member> members, int numSegments) {
        this.segmentHash = new int[numSegments];
        for (int s = 0; s < numSegments; s++) {
            segmentHash[s] = SegmentHash.hashInt(s, SEGMENT_ORDER_SEED);
        }
        this.segments = order(segmentHash);
        this.memberHash = new int[members.size()];
        for (int m = 0; m < memberHash.length; m++) {
            memberHash[m] = SegmentHash.murmur3_32(members.get(m).id().getBytes(StandardCharsets.UTF_8), MEMBER_SEED);
        }
    }

    /** Every segment, in the hashed order; the array is shared: callers only read it. */
    int[] segments() {
        return segments;
    }

    /** The tie-break of member {@code m} for segment {@code s}: the lower wins. */
    int tie(int s, int m) {
        return SegmentHash.hashInt(memberHash[m], segmentHash[s]);
    }

    private static int[] order(int[] hashes) {
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
