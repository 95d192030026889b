package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnerTableTest {

    private static final Member A = new Member("a", "A");
    private static final Member B = new Member("b", "B");
    private static final Member C = new Member("c", "C");
    private static final Member D = new Member("d", "D");

    /** 4 segments over A, B, C. */
    private static OwnerTable abc() {
        return new OwnerTable(List.of(A, B, C), 4, new int[][] {{0, 1}, {1, 2}, {2, 0}, {0}});
    }

    @Test
    void validatesItsInput() {
        assertThrows(IllegalArgumentException.class, () -> new OwnerTable(List.of(B, A), 1, new int[][] {{0}}));
        assertThrows(IllegalArgumentException.class,
                () -> new OwnerTable(List.of(A, new Member("a", "other")), 1, new int[][] {{0}}));
        assertThrows(IllegalArgumentException.class, () -> new OwnerTable(List.of(A), 1, new int[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> new OwnerTable(List.of(A), 1, new int[][] {{-1}}));
        assertThrows(IllegalArgumentException.class, () -> new OwnerTable(List.of(A, B), 1, new int[][] {{0, 0}}));
        assertThrows(IllegalArgumentException.class, () -> new OwnerTable(List.of(A), 2, new int[][] {{0}}));
        assertThrows(IllegalArgumentException.class, () -> new OwnerTable(List.of(A), 0, new int[0][]));
        assertThrows(NullPointerException.class, () -> new OwnerTable(List.of(A), 1, new int[][] {null}));
    }

    @Test
    void answersOwnershipQuestions() {
        OwnerTable t = abc();
        assertEquals(4, t.numSegments());
        assertEquals(List.of(A, B, C), t.members());
        assertEquals(List.of(C, A), t.owners(2));
        assertEquals(B, t.primary(1));
        assertArrayEquals(new int[] {2, 0}, t.ownerIndexes(2));
        assertTrue(t.isOwner(A, 2));
        assertFalse(t.isOwner(B, 2));
        assertFalse(t.isOwner(D, 0));
        // Matched by id: another object for the same member finds the same segments.
        assertTrue(t.isOwner(new Member("a", "renamed", "site", null, null), 0));
        assertEquals(2, t.primaryCount(A));
        assertEquals(3, t.ownedCount(A));
        assertEquals(1, t.primaryCount(C));
        assertEquals(2, t.ownedCount(C));
        assertEquals(0, t.ownedCount(D));
        assertEquals(bits(0, 2, 3), t.segmentsOwnedBy(A));
        assertEquals(bits(0, 3), t.segmentsPrimaryOf(A));
        assertEquals(new BitSet(), t.segmentsOwnedBy(D));
        assertEquals(0, t.indexOf(A));
        assertEquals(-1, t.indexOf(D));
        assertThrows(IndexOutOfBoundsException.class, () -> t.owners(4));
        assertThrows(IndexOutOfBoundsException.class, () -> t.isOwner(D, -1));
    }

    @Test
    void isImmutable() {
        int[][] rows = {{0, 1}};
        OwnerTable t = new OwnerTable(List.of(A, B), 1, rows);
        rows[0][0] = 1;
        t.ownerIndexes(0)[0] = 1;
        t.segmentsOwnedBy(A).clear();
        assertEquals(A, t.primary(0));
        assertEquals(bits(0), t.segmentsOwnedBy(A));
        assertThrows(UnsupportedOperationException.class, () -> t.members().clear());
        assertThrows(UnsupportedOperationException.class, () -> t.owners(0).clear());
    }

    @Test
    void emptySegmentHasNoPrimary() {
        OwnerTable t = new OwnerTable(List.of(A), 2, new int[][] {{0}, {}});
        assertNull(t.primary(1));
        assertEquals(List.of(), t.owners(1));
    }

    @Test
    void unionKeepsCurrentOrderAndAppendsPendingOwners() {
        OwnerTable current = abc();
        OwnerTable pending = new OwnerTable(List.of(B, C, D), 4,
                new int[][] {{2, 0}, {0, 1}, {1, 2}, {2, 0}});
        OwnerTable union = OwnerTable.union(current, pending);
        assertEquals(List.of(A, B, C, D), union.members());
        assertEquals(List.of(A, B, D), union.owners(0));
        assertEquals(List.of(B, C), union.owners(1));
        assertEquals(List.of(C, A, D), union.owners(2));
        assertEquals(List.of(A, D, B), union.owners(3));
        for (int s = 0; s < 4; s++) {
            assertEquals(current.primary(s), union.primary(s));
        }
        assertEquals(0, current.slotsAddedComparedTo(current));
        assertThrows(IllegalArgumentException.class,
                () -> OwnerTable.union(current, new OwnerTable(List.of(A), 1, new int[][] {{0}})));
    }

    @Test
    void countsAddedSlotsById() {
        OwnerTable previous = abc();
        OwnerTable next = new OwnerTable(List.of(B, C, D), 4, new int[][] {{2, 0}, {0, 1}, {1, 2}, {2, 0}});
        // Segment 0: D, B -> D new; 1: B, C -> none; 2: C, D -> D new; 3: D, B -> both new.
        assertEquals(4, next.slotsAddedComparedTo(previous));
        assertEquals(0, previous.slotsAddedComparedTo(previous));
        // Back from next: segment 0 gains A, 2 gains A, 3 gains A.
        assertEquals(3, previous.slotsAddedComparedTo(next));
        // Order changes transfer nothing.
        OwnerTable reordered = new OwnerTable(List.of(A, B, C), 4, new int[][] {{1, 0}, {2, 1}, {0, 2}, {0}});
        assertEquals(0, reordered.slotsAddedComparedTo(previous));
    }

    @Test
    void equalityIsByMembersAndRows() {
        OwnerTable t = abc();
        assertEquals(t, abc());
        assertEquals(t.hashCode(), abc().hashCode());
        assertNotEquals(t, new OwnerTable(List.of(A, B, C), 4, new int[][] {{1, 0}, {1, 2}, {2, 0}, {0}}));
        assertNotEquals(t, new OwnerTable(List.of(A, B, new Member("c", "C", "x", null, null)), 4,
                new int[][] {{0, 1}, {1, 2}, {2, 0}, {0}}));
        assertTrue(t.toString().contains("segments=4"), t.toString());
        assertTrue(t.toString().contains("A 2/3"), t.toString());
    }

    private static BitSet bits(int... indexes) {
        BitSet b = new BitSet();
        for (int i : indexes) {
            b.set(i);
        }
        return b;
    }
}
