package org.sessiongrid.placement;

import java.util.Objects;

/**
 * A cluster member as placement sees it.
 *
 * <p>{@code id} is unique and stable for the member's lifetime (the membership layer maps it to
 * the JGroups address UUID); placement identifies members by {@code id} alone, so tables built
 * on different nodes agree whatever names they display. {@code name} is only for people.
 * {@code site}, {@code rack} and {@code machine} are optional location tags ({@code null} = no
 * tag); placement spreads the owners of one segment over distinct sites, then racks, then
 * machines. Tags are hierarchical: a rack is identified by (site, rack) and a machine by
 * (site, rack, machine), and members whose tag is {@code null} at some level count as sharing
 * that (unnamed) location.
 *
 * <p>Members are ordered by {@code id}. That order is consistent with {@code equals} for members
 * of one valid member list, where ids are distinct.
 *
 * @param id      unique, stable, non-empty identifier
 * @param name    display name, may be {@code null}
 * @param site    site tag, may be {@code null}
 * @param rack    rack tag within the site, may be {@code null}
 * @param machine machine tag within the rack, may be {@code null}
 */
public record Member(String id, String name, String site, String rack, String machine)
        implements Comparable<Member> {

    /** Validates the id. */
    public Member {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("member id must not be empty");
        }
    }

    /**
     * A member without location tags.
     *
     * @param id   unique, stable, non-empty identifier
     * @param name display name, may be {@code null}
     */
    public Member(String id, String name) {
        this(id, name, null, null, null);
    }

    /**
     * Equal in every component, as a record's generated {@code equals}. Written out, as is {@link #hashCode},
     * because the request path compares members on every write (is this member the primary?): the generated
     * methods are an {@code invokedynamic} call site whose method-handle chain the JIT does not always inline
     * into large callers (it showed in the write path's profile).
     */
    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Member m && id.equals(m.id) && Objects.equals(name, m.name)
                && Objects.equals(site, m.site) && Objects.equals(rack, m.rack) && Objects.equals(machine, m.machine);
    }

    /** The id's hash: members that are equal have equal ids. */
    @Override
    public int hashCode() {
        return id.hashCode();
    }

    /** Orders by {@code id}. */
    @Override
    public int compareTo(Member other) {
        return id.compareTo(other.id);
    }

    /** Returns the display name, or the id when there is no name. */
    @Override
    public String toString() {
        return name != null ? name : id;
    }
}
