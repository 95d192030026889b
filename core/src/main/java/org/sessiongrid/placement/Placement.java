package org.sessiongrid.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Computes owner tables: which members own each segment, primary first.
 *
 * <p>All functions are pure and deterministic: the same arguments give an equal table on every
 * node and JVM, whatever the order of the member lists passed in (members are sorted by id;
 * nothing depends on hash map iteration, unseeded randomness or identity hashes).
 *
 * <p>Guarantees of {@link #create} and {@link #rebalance}, with {@code n} members and
 * {@code k = min(numOwners, n)}:
 * <ul>
 * <li>every segment has exactly {@code k} distinct owners;</li>
 * <li>owned slots per member are the floor or ceiling of {@code numSegments * k / n} when the
 *     members carry no location tags or the tags are laid out evenly; an uneven layout may shift
 *     a member by at most 10% of that mean, only to spread segments over more locations;</li>
 * <li>primaries per member are the floor or ceiling of {@code numSegments / n}, and, for
 *     {@code k >= 3}, so are first backups (so that a crash spreads the dead member's primaries
 *     evenly); both are reached by reordering owners inside segments, which moves no data;</li>
 * <li>the owners of a segment sit on distinct sites, then racks, then machines as far as the
 *     tags and the quotas above allow (balance first, within the 10%; then distinctness; then
 *     least movement);</li>
 * <li>{@link #rebalance} adds a slot only for a member under its quota, so the copies to
 *     transfer are the least the new quotas require (plus, rarely, a few to fix locations).</li>
 * </ul>
 */
public final class Placement {

    private Placement() {
    }

    /**
     * The result of removing departed members from a table.
     *
     * @param table        the table without them
     * @param lostSegments the segments whose owners were all gone, in ascending order; they now
     *                     have one (empty) owner and their data is lost
     */
    public record Removal(OwnerTable table, int[] lostSegments) {

        /** Validates and copies. */
        public Removal {
            Objects.requireNonNull(table, "table");
            lostSegments = lostSegments.clone();
        }

        /** @return a copy of the lost segments */
        @Override
        public int[] lostSegments() {
            return lostSegments.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Removal other
                    && table.equals(other.table) && Arrays.equals(lostSegments, other.lostSegments);
        }

        @Override
        public int hashCode() {
            return 31 * table.hashCode() + Arrays.hashCode(lostSegments);
        }

        @Override
        public String toString() {
            return "Removal{table=" + table + ", lostSegments=" + Arrays.toString(lostSegments) + "}";
        }
    }

    /**
     * A balanced table from scratch.
     *
     * @param members     the members, in any order, ids distinct, at least one
     * @param numSegments segments, at least 1
     * @param numOwners   wanted owners per segment, at least 1 (fewer if there are fewer members)
     * @return the table
     */
    public static OwnerTable create(List<Member> members, int numSegments, int numOwners) {
        List<Member> sorted = sortedMembers(members);
        if (numSegments < 1) {
            throw new IllegalArgumentException("numSegments must be at least 1: " + numSegments);
        }
        checkOwners(numOwners);
        return new Balancer(sorted, numOwners, new int[numSegments][0], PriorCopies.NONE).run();
    }

    /**
     * The balanced table for {@code members} that moves the fewest segment copies from
     * {@code current}: members absent from {@code members} are dropped (the owners after them
     * move up, so their first surviving backup becomes primary), members new to the table get
     * their share, and slots move only from members over their quota to members under it.
     *
     * <p>A segment whose owners are all absent is simply given new owners here; to detect and
     * report such losses, apply {@link #withoutMembers} first.
     *
     * @param current   the table in force
     * @param members   the members of the new table, in any order, ids distinct, at least one;
     *                  matched to current's members by id (tags and names are taken from here)
     * @param numOwners wanted owners per segment, at least 1
     * @return the target table, with {@code current}'s segment count
     */
    public static OwnerTable rebalance(OwnerTable current, List<Member> members, int numOwners) {
        return rebalance(current, members, numOwners, PriorCopies.NONE);
    }

    /**
     * {@link #rebalance(OwnerTable, List, int)}, giving a member that returns with copies set aside the slots it
     * held wherever that costs no more transfers: every guarantee above holds as without the hint, and the
     * copies to transfer are as few; only the choice among equally cheap slots changes, so that the returning
     * member's pulls find copies to keep instead of whole segments to fetch.
     *
     * @param prior segments of which members may hold copies the table does not list
     */
    public static OwnerTable rebalance(OwnerTable current, List<Member> members, int numOwners, PriorCopies prior) {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(prior, "prior");
        List<Member> sorted = sortedMembers(members);
        checkOwners(numOwners);
        return new Balancer(sorted, numOwners, keptRows(current, sorted), prior).run();
    }

    /**
     * The crash step: each segment keeps its surviving owners in their order (so the first
     * surviving backup becomes primary) and nothing else changes, so no data has to move before
     * the table can be used. A segment left with no owner gets one, the live member with the
     * fewest primaries (ties broken by a hash of the segment and the member), and is reported as
     * lost. Live members the table did not have join its member list owning nothing.
     *
     * @param current     the table in force
     * @param liveMembers the members still alive, in any order, ids distinct, at least one
     * @return the reduced table and the lost segments
     */
    public static Removal withoutMembers(OwnerTable current, Collection<Member> liveMembers) {
        Objects.requireNonNull(current, "current");
        List<Member> live = sortedMembers(liveMembers);
        int[][] rows = keptRows(current, live);
        int[] primaries = new int[live.size()];
        for (int[] row : rows) {
            if (row.length > 0) {
                primaries[row[0]]++;
            }
        }
        int[] memberHash = new int[live.size()];
        for (int m = 0; m < memberHash.length; m++) {
            memberHash[m] = SegmentHash.murmur3_32(
                    live.get(m).id().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0);
        }
        List<Integer> lost = new ArrayList<>();
        for (int s = 0; s < rows.length; s++) {
            if (rows[s].length > 0) {
                continue;
            }
            int best = -1;
            int bestTie = 0;
            for (int m = 0; m < primaries.length; m++) {
                int tie = SegmentHash.hashInt(memberHash[m], s);
                if (best < 0 || primaries[m] < primaries[best] || primaries[m] == primaries[best] && tie < bestTie) {
                    best = m;
                    bestTie = tie;
                }
            }
            rows[s] = new int[] {best};
            primaries[best]++;
            lost.add(s);
        }
        return new Removal(new OwnerTable(live, rows.length, rows),
                lost.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * The rejoin step, for a member that set its copies aside to join again: {@code member} leaves every segment
     * another member also owns (those owners keep their order, as after its crash) and stays the only owner of
     * each segment it alone owns, whose only copies are the ones it set aside (it restores them instead of the
     * segment restarting empty). {@code member} leaves the member list when it keeps no segment.
     *
     * @param current the table in force
     * @param member  the rejoining member; {@code current} is returned as it is when it is not a member
     * @return the table
     */
    public static OwnerTable withoutSharedCopiesOf(OwnerTable current, Member member) {
        Objects.requireNonNull(current, "current");
        int gone = current.indexOf(member);
        if (gone < 0) {
            return current;
        }
        int[][] rows = new int[current.numSegments()][];
        boolean keepsAny = false;
        for (int s = 0; s < rows.length; s++) {
            int[] row = current.row(s);
            if (row.length == 1 && row[0] == gone) {
                rows[s] = row;
                keepsAny = true;
            } else {
                rows[s] = Arrays.stream(row).filter(m -> m != gone).toArray();
            }
        }
        if (keepsAny) {
            return new OwnerTable(current.members(), rows.length, rows);
        }
        List<Member> others = new ArrayList<>(current.members());
        others.remove(gone);
        for (int[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                if (row[i] > gone) {
                    row[i]--;
                }
            }
        }
        return new OwnerTable(others, rows.length, rows);
    }

    /** {@code current}'s rows restricted to {@code kept}, order preserved, as indexes into {@code kept}. */
    private static int[][] keptRows(OwnerTable current, List<Member> kept) {
        List<Member> old = current.members();
        int[] map = new int[old.size()];
        for (int i = 0; i < map.length; i++) {
            map[i] = indexById(kept, old.get(i).id());
        }
        int[][] rows = new int[current.numSegments()][];
        for (int s = 0; s < rows.length; s++) {
            int[] row = current.row(s);
            int[] mapped = new int[row.length];
            int size = 0;
            for (int m : row) {
                if (map[m] >= 0) {
                    mapped[size++] = map[m];
                }
            }
            rows[s] = Arrays.copyOf(mapped, size);
        }
        return rows;
    }

    private static int indexById(List<Member> sorted, String id) {
        int lo = 0;
        int hi = sorted.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = sorted.get(mid).id().compareTo(id);
            if (c == 0) {
                return mid;
            }
            if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -1;
    }

    private static List<Member> sortedMembers(Collection<Member> members) {
        Objects.requireNonNull(members, "members");
        List<Member> sorted = new ArrayList<>(members.size());
        for (Member m : members) {
            sorted.add(Objects.requireNonNull(m, "member"));
        }
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("at least one member is needed");
        }
        sorted.sort(null);
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i - 1).id().equals(sorted.get(i).id())) {
                throw new IllegalArgumentException("duplicate member id: " + sorted.get(i).id());
            }
        }
        return List.copyOf(sorted);
    }

    private static void checkOwners(int numOwners) {
        if (numOwners < 1) {
            throw new IllegalArgumentException("numOwners must be at least 1: " + numOwners);
        }
    }
}
