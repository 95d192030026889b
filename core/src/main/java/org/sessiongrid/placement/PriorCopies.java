package org.sessiongrid.placement;

import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Segments of which members may still hold copies that no table lists any more: a member excluded for a
 * few seconds of silence sets its records aside and, when it comes back, catches up cheaply on every
 * segment it kept (only what changed travels). A hint for {@link Placement#rebalance(OwnerTable, java.util.List,
 * int, PriorCopies)}: among the slots that cost the same number of transfers, a returning member is given
 * those it held. It never makes a table move more copies than it would without the hint.
 *
 * <p>Immutable; keyed by member id, as placement identifies members.
 */
public final class PriorCopies {

    /** No member holds copies beyond what the table lists. */
    public static final PriorCopies NONE = new PriorCopies(Map.of());

    private final Map<String, BitSet> segmentsById;

    private PriorCopies(Map<String, BitSet> segmentsById) {
        this.segmentsById = segmentsById;
    }

    /**
     * @param segmentsByMember for each member, the segments of which it may hold copies; copied
     * @return the hint
     */
    public static PriorCopies of(Map<Member, BitSet> segmentsByMember) {
        Map<String, BitSet> copy = new HashMap<>();
        segmentsByMember.forEach((m, s) -> copy.put(m.id(), (BitSet) Objects.requireNonNull(s, "segments").clone()));
        return copy.isEmpty() ? NONE : new PriorCopies(Collections.unmodifiableMap(copy));
    }

    /** Whether {@code member} may hold copies of {@code segment}. */
    public boolean held(Member member, int segment) {
        BitSet s = segmentsById.get(member.id());
        return s != null && s.get(segment);
    }

    /** The segments the hint names for {@code member}; a copy, empty if none. */
    public BitSet segmentsOf(Member member) {
        BitSet s = segmentsById.get(member.id());
        return s == null ? new BitSet() : (BitSet) s.clone();
    }

    /** Whether the hint names no segment for any member. */
    public boolean isEmpty() {
        return segmentsById.isEmpty();
    }

    @Override
    public String toString() {
        return "PriorCopies" + segmentsById;
    }
}
