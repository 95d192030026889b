package org.sessiongrid.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;

/** What the coordinator remembers of the segments members took with them, and what it answers their rejoin. */
class LostSharesTest {

    private static final Member A = new Member("a", "A");
    private static final Member B = new Member("b", "B");
    private static final Member C = new Member("c", "C");

    private static BitSet all(int n) {
        BitSet s = new BitSet();
        s.set(0, n);
        return s;
    }

    @Test
    void aMemberTakesWithItOnlyTheSegmentsNoLiveOwnerHolds() {
        OwnerTable table = Placement.create(List.of(A, B, C), 64, 2);
        LostShares shares = new LostShares();
        // B and C leave at once: the segments they both owned lose every owner.
        Placement.Removal r = Placement.withoutMembers(table, List.of(A));
        shares.leaving(table, List.of(B, C), r.lostSegments(), 9);
        BitSet lost = new BitSet();
        for (int s : r.lostSegments()) {
            lost.set(s);
        }
        assertTrue(!lost.isEmpty() && lost.cardinality() < 64, "some segments lost: " + lost);
        assertEquals(new SegmentLoss(lost, 9), shares.lostWith(B, all(64)));
        assertEquals(new SegmentLoss(lost, 9), shares.lostWith(C, all(64)));
        BitSet kept = new BitSet();
        kept.set(lost.nextSetBit(0));
        assertEquals(new SegmentLoss(kept, 9), shares.lostWith(B, kept), "only what it kept copies of");
        assertEquals(SegmentLoss.NONE, shares.lostWith(A, all(64)), "A left nothing");
        assertEquals(SegmentLoss.NONE, shares.lostWith(B, new BitSet()), "B kept nothing");
    }

    @Test
    void nothingIsRememberedWhenEverySegmentKeptAnOwner() {
        OwnerTable table = Placement.create(List.of(A, B, C), 64, 2);
        LostShares shares = new LostShares();
        Placement.Removal r = Placement.withoutMembers(table, List.of(A, B));
        assertEquals(0, r.lostSegments().length);
        shares.leaving(table, List.of(C), r.lostSegments(), 9);
        assertEquals(0, shares.size());
    }

    @Test
    void anEntryGoesOnceItsMemberOwnsSegmentsAgainAndTheOldestGoBeyondTheBound() {
        OwnerTable table = Placement.create(List.of(A, B), 16, 1);
        LostShares shares = new LostShares();
        shares.leaving(table, List.of(B), Placement.withoutMembers(table, List.of(A)).lostSegments(), 3);
        assertEquals(1, shares.size());
        shares.settled(Placement.withoutMembers(table, List.of(A)).table());
        assertEquals(1, shares.size(), "B owns nothing yet");
        shares.settled(table);
        assertEquals(0, shares.size(), "B is back");

        List<Member> many = new ArrayList<>();
        for (int i = 0; i <= DepartedShares.MAX_MEMBERS; i++) {
            Member m = new Member("m" + i, "M" + i);
            many.add(m);
            OwnerTable alone = Placement.create(List.of(m, A), 4, 1);
            shares.leaving(alone, List.of(m), Placement.withoutMembers(alone, List.of(A)).lostSegments(), i);
        }
        assertEquals(DepartedShares.MAX_MEMBERS, shares.size());
        assertEquals(SegmentLoss.NONE, shares.lostWith(many.get(0), all(4)), "the oldest went");
    }
}
