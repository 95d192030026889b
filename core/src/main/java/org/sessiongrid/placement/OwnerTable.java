package org.sessiongrid.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An immutable segment → owners table: for each segment, its owners in order, primary first,
 * then backup1, backup2, ...
 *
 * <p>Owners are stored as indexes into {@link #members()}, which is sorted by id and free of
 * duplicate ids. Every lookup that takes a {@link Member} matches it by {@link Member#id()}, so a
 * member object carrying other tags or another display name still finds its segments.
 *
 * <p>A segment may have no owner only in tables assembled by hand; the tables produced by
 * {@link Placement} always give every segment at least one owner.
 */
public final class OwnerTable {

    private final List<Member> members;
    private final String[] ids;
    private final int[][] owners;
    private final int[] primaryCounts;
    private final int[] ownedCounts;
    /**
     * Each segment's owners as {@link #owners(int)} returns them, made on first use: every write asks for its
     * segment's, and the table does not change. Racing threads may each make one; the lists are immutable and
     * equal, and the last written stays. Not part of the value (equals, hashCode).
     */
    private final List<Member>[] ownerLists;

    /**
     * Builds a table.
     *
     * @param members      the members, sorted by id, ids distinct
     * @param numSegments  number of segments, at least 1
     * @param ownerIndexes for each segment, its owners as indexes into {@code members}, primary
     *                     first; indexes in range and distinct within a segment. Copied.
     * @throws IllegalArgumentException if any of the above does not hold
     */
    public OwnerTable(List<Member> members, int numSegments, int[][] ownerIndexes) {
        Objects.requireNonNull(members, "members");
        Objects.requireNonNull(ownerIndexes, "ownerIndexes");
        if (numSegments < 1) {
            throw new IllegalArgumentException("numSegments must be at least 1: " + numSegments);
        }
        if (ownerIndexes.length != numSegments) {
            throw new IllegalArgumentException("ownerIndexes has " + ownerIndexes.length
                    + " rows for " + numSegments + " segments");
        }
        this.members = List.copyOf(members);
        int n = this.members.size();
        this.ids = new String[n];
        for (int i = 0; i < n; i++) {
            ids[i] = this.members.get(i).id();
            if (i > 0 && ids[i - 1].compareTo(ids[i]) >= 0) {
                throw new IllegalArgumentException(
                        "members must be sorted by id without duplicates: " + ids[i - 1] + ", " + ids[i]);
            }
        }
        this.owners = new int[numSegments][];
        @SuppressWarnings("unchecked")
        List<Member>[] lists = new List[numSegments];
        this.ownerLists = lists;
        this.primaryCounts = new int[n];
        this.ownedCounts = new int[n];
        for (int s = 0; s < numSegments; s++) {
            int[] row = Objects.requireNonNull(ownerIndexes[s], "ownerIndexes[" + s + "]").clone();
            for (int i = 0; i < row.length; i++) {
                int m = row[i];
                if (m < 0 || m >= n) {
                    throw new IllegalArgumentException("segment " + s + ": owner index " + m
                            + " out of range [0, " + n + ")");
                }
                for (int j = 0; j < i; j++) {
                    if (row[j] == m) {
                        throw new IllegalArgumentException("segment " + s + ": owner index " + m + " listed twice");
                    }
                }
                ownedCounts[m]++;
            }
            if (row.length > 0) {
                primaryCounts[row[0]]++;
            }
            owners[s] = row;
        }
    }

    /**
     * Each segment of {@code current} keeps its owners in order and gains, after them, the owners
     * {@code pending} gives it that it does not have yet; so current's primary stays primary. This
     * is the write target while a rebalance moves data from {@code current} to {@code pending}.
     *
     * @param current the table being served
     * @param pending the rebalance target, with the same number of segments
     * @return the union; its members are those of both tables (where an id is in both, pending's
     *         member object is kept, as the newer)
     */
    public static OwnerTable union(OwnerTable current, OwnerTable pending) {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(pending, "pending");
        int numSegments = current.numSegments();
        if (pending.numSegments() != numSegments) {
            throw new IllegalArgumentException("tables differ in segment count: "
                    + numSegments + " vs " + pending.numSegments());
        }
        TreeMap<String, Member> byId = new TreeMap<>();
        current.members.forEach(m -> byId.put(m.id(), m));
        pending.members.forEach(m -> byId.put(m.id(), m));
        List<Member> all = new ArrayList<>(byId.values());
        String[] allIds = byId.keySet().toArray(new String[0]);
        int[] fromCurrent = remap(current.ids, allIds);
        int[] fromPending = remap(pending.ids, allIds);
        int[][] rows = new int[numSegments][];
        for (int s = 0; s < numSegments; s++) {
            int[] a = current.owners[s];
            int[] b = pending.owners[s];
            int[] row = new int[a.length + b.length];
            int size = 0;
            for (int m : a) {
                row[size++] = fromCurrent[m];
            }
            for (int m : b) {
                int mapped = fromPending[m];
                if (!contains(row, size, mapped)) {
                    row[size++] = mapped;
                }
            }
            rows[s] = Arrays.copyOf(row, size);
        }
        return new OwnerTable(all, numSegments, rows);
    }

    /** @return the number of segments */
    public int numSegments() {
        return owners.length;
    }

    /** @return the members, sorted by id (unmodifiable) */
    public List<Member> members() {
        return members;
    }

    /**
     * @param member a member (matched by id)
     * @return its index in {@link #members()}, or -1 if it is not a member of this table
     */
    public int indexOf(Member member) {
        Objects.requireNonNull(member, "member");
        int i = Arrays.binarySearch(ids, member.id());
        return i >= 0 ? i : -1;
    }

    /**
     * @param segment a segment
     * @return its owners in order, primary first (unmodifiable)
     */
    public List<Member> owners(int segment) {
        int s = checkSegment(segment);
        List<Member> known = ownerLists[s];
        if (known != null) {
            return known;
        }
        int[] row = owners[s];
        Member[] result = new Member[row.length];
        for (int i = 0; i < row.length; i++) {
            result[i] = members.get(row[i]);
        }
        List<Member> made = List.of(result);
        ownerLists[s] = made;
        return made;
    }

    /**
     * @param segment a segment
     * @return its primary owner, or {@code null} if it has no owner
     */
    public Member primary(int segment) {
        int[] row = owners[checkSegment(segment)];
        return row.length == 0 ? null : members.get(row[0]);
    }

    /**
     * @param segment a segment
     * @return a copy of its owners as indexes into {@link #members()}, primary first
     */
    public int[] ownerIndexes(int segment) {
        return owners[checkSegment(segment)].clone();
    }

    /**
     * @param member  a member (matched by id)
     * @param segment a segment
     * @return whether the member owns the segment, as primary or backup
     */
    public boolean isOwner(Member member, int segment) {
        int[] row = owners[checkSegment(segment)];
        int m = indexOf(member);
        return m >= 0 && contains(row, row.length, m);
    }

    /**
     * @param member a member (matched by id)
     * @return the number of segments whose primary it is; 0 if not a member
     */
    public int primaryCount(Member member) {
        int m = indexOf(member);
        return m < 0 ? 0 : primaryCounts[m];
    }

    /**
     * @param member a member (matched by id)
     * @return the number of segments it owns, as primary or backup; 0 if not a member
     */
    public int ownedCount(Member member) {
        int m = indexOf(member);
        return m < 0 ? 0 : ownedCounts[m];
    }

    /**
     * @param member a member (matched by id)
     * @return a new set of the segments it owns, as primary or backup
     */
    public BitSet segmentsOwnedBy(Member member) {
        BitSet result = new BitSet(owners.length);
        int m = indexOf(member);
        if (m >= 0) {
            for (int s = 0; s < owners.length; s++) {
                if (contains(owners[s], owners[s].length, m)) {
                    result.set(s);
                }
            }
        }
        return result;
    }

    /**
     * @param member a member (matched by id)
     * @return a new set of the segments whose primary it is
     */
    public BitSet segmentsPrimaryOf(Member member) {
        BitSet result = new BitSet(owners.length);
        int m = indexOf(member);
        if (m >= 0) {
            for (int s = 0; s < owners.length; s++) {
                if (owners[s].length > 0 && owners[s][0] == m) {
                    result.set(s);
                }
            }
        }
        return result;
    }

    /**
     * Counts the (segment, owner) pairs of this table that {@code previous} lacks: the segment
     * copies a rebalance from {@code previous} to this table has to transfer. Owners are matched
     * by id.
     *
     * @param previous a table with the same number of segments
     * @return the number of added (segment, owner) pairs
     */
    public int slotsAddedComparedTo(OwnerTable previous) {
        Objects.requireNonNull(previous, "previous");
        if (previous.numSegments() != numSegments()) {
            throw new IllegalArgumentException("tables differ in segment count: "
                    + numSegments() + " vs " + previous.numSegments());
        }
        int[] toPrevious = remap(ids, previous.ids);
        int added = 0;
        for (int s = 0; s < owners.length; s++) {
            int[] before = previous.owners[s];
            for (int m : owners[s]) {
                int p = toPrevious[m];
                if (p < 0 || !contains(before, before.length, p)) {
                    added++;
                }
            }
        }
        return added;
    }

    /** Raw row, not copied; for package code that promises not to modify it. */
    int[] row(int segment) {
        return owners[segment];
    }

    /** Two tables are equal when they have equal member lists and the same owners in the same order. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof OwnerTable other)) {
            return false;
        }
        return members.equals(other.members) && Arrays.deepEquals(owners, other.owners);
    }

    @Override
    public int hashCode() {
        return 31 * members.hashCode() + Arrays.deepHashCode(owners);
    }

    /** A one-line summary: segment count and, per member, primaries/owned counts. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("OwnerTable{segments=").append(owners.length).append(", members=[");
        for (int m = 0; m < members.size(); m++) {
            if (m > 0) {
                sb.append(", ");
            }
            sb.append(members.get(m)).append(' ').append(primaryCounts[m]).append('/').append(ownedCounts[m]);
        }
        return sb.append("] (primary/owned)}").toString();
    }

    private int checkSegment(int segment) {
        if (segment < 0 || segment >= owners.length) {
            throw new IndexOutOfBoundsException("segment " + segment + " not in [0, " + owners.length + ")");
        }
        return segment;
    }

    /** For each id of {@code from}, its index in the sorted {@code to}, or -1. */
    private static int[] remap(String[] from, String[] to) {
        int[] result = new int[from.length];
        for (int i = 0; i < from.length; i++) {
            int j = Arrays.binarySearch(to, from[i]);
            result[i] = j >= 0 ? j : -1;
        }
        return result;
    }

    private static boolean contains(int[] row, int size, int m) {
        for (int i = 0; i < size; i++) {
            if (row[i] == m) {
                return true;
            }
        }
        return false;
    }
}
