package org.sessiongrid.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;

/**
 * One topology of the grid: its id, phase, current owner table and, during a rebalance, the pending
 * table. Every message between members carries the sender's topology id; members compare ids to
 * refuse work planned under an older topology (see the replication package).
 *
 * <p>Immutable. The tables used for reads and writes are derived once here so that routing a
 * request is a lookup.
 */
public final class Topology {

    private final long id;
    private final Phase phase;
    private final int numOwners;
    private final OwnerTable current;
    private final OwnerTable pending;
    private final OwnerTable writeTable;
    private final List<Member> members;

    public Topology(long id, Phase phase, int numOwners, OwnerTable current, OwnerTable pending) {
        if (id <= 0) {
            throw new IllegalArgumentException("topology id must be positive: " + id);
        }
        this.id = id;
        this.phase = Objects.requireNonNull(phase, "phase");
        this.numOwners = numOwners;
        this.current = Objects.requireNonNull(current, "current");
        if ((phase == Phase.NONE) != (pending == null)) {
            throw new IllegalArgumentException("phase " + phase + " with" + (pending == null ? "out" : "")
                    + " a pending table");
        }
        if (pending != null && pending.numSegments() != current.numSegments()) {
            throw new IllegalArgumentException("pending table has " + pending.numSegments() + " segments, current "
                    + current.numSegments());
        }
        this.pending = pending;
        this.writeTable = switch (phase) {
            case NONE -> current;
            case READ_OLD_WRITE_ALL -> OwnerTable.union(current, pending);
            case READ_NEW_WRITE_ALL -> OwnerTable.union(pending, current);
        };
        TreeSet<Member> all = new TreeSet<>(current.members());
        if (pending != null) {
            all.addAll(pending.members());
        }
        this.members = List.copyOf(all);
    }

    public long id() {
        return id;
    }

    public Phase phase() {
        return phase;
    }

    public int numOwners() {
        return numOwners;
    }

    public int numSegments() {
        return current.numSegments();
    }

    public OwnerTable current() {
        return current;
    }

    /** The table being moved to, or null outside a rebalance. */
    public OwnerTable pending() {
        return pending;
    }

    /** Every member named in either table, sorted. */
    public List<Member> members() {
        return members;
    }

    public boolean isRebalancing() {
        return phase != Phase.NONE;
    }

    /** The table reads use; its first owner of a segment is that segment's primary. */
    public OwnerTable readTable() {
        return phase == Phase.READ_NEW_WRITE_ALL ? pending : current;
    }

    /** Owners that receive every write of the segment: the read table's owners first, primary first. */
    public List<Member> writeOwners(int segment) {
        return writeTable.owners(segment);
    }

    /** The segment's primary: the only member that orders its writes. Null if the segment has no owner. */
    public Member primary(int segment) {
        return readTable().primary(segment);
    }

    /** Segments {@code m} must pull in this phase: those it owns in the pending table but not in the current. */
    public List<Integer> segmentsToPull(Member m) {
        List<Integer> out = new ArrayList<>();
        if (phase == Phase.READ_OLD_WRITE_ALL) {
            for (int s = 0; s < numSegments(); s++) {
                if (pending.isOwner(m, s) && !current.isOwner(m, s)) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /**
     * The member of {@code mine} that this newer topology leaves out although {@code inView} still shows
     * it, or null if {@code me} may install this one in place of {@code mine} outside a merge.
     *
     * <p>After a split each side numbers its topologies on its own, so a higher id does not mean a
     * successor: the majority's newer topology lists none of the minority, and a minority member that
     * installed it would drop every record of its side before the merge collected them. A topology of
     * the same coordinator's sequence leaves out only members that left (gone from the view, or about to
     * be: a view lagging behind only delays the install to the next view change); one that leaves out
     * {@code me} or a member that is still there belongs to another side, and only the merge, which
     * collects every side's records first, may replace {@code mine}. A member not yet in {@code mine}
     * (joining) takes any.
     */
    public Member leavesOutWhileInstalling(Topology mine, Member me, java.util.function.Predicate<Member> inView) {
        if (mine == null || !mine.members.contains(me)) {
            return null;
        }
        if (!members.contains(me)) {
            return me;
        }
        for (Member m : mine.members) {
            if (!members.contains(m) && inView.test(m)) {
                return m;
            }
        }
        return null;
    }

    /** True if {@code m} must keep the data of {@code segment} in this topology. */
    public boolean keeps(Member m, int segment) {
        return writeTable.isOwner(m, segment);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Topology t && t.id == id && t.phase == phase && t.numOwners == numOwners
                && t.current.equals(current) && Objects.equals(t.pending, pending);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id) * 31 + phase.hashCode();
    }

    @Override
    public String toString() {
        return "Topology[id=" + id + ", phase=" + phase + ", members=" + members + "]";
    }
}
