package org.sessiongrid.suspicion;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.topology.Topology;

/**
 * Which suspects the member that acts on suspicions may have JGroups check now, and which it leaves to failure
 * detection. A suspicion is a guess made on a timeout: on a starved machine (a load of 20 to 40 on 2 cores) every
 * member answers late and every member is suspected, although all are alive. Checked one after another, each is
 * excluded if its ARE_YOU_DEAD answer is late too, and a segment whose owners all go loses its sessions. So a
 * suspect is handed to the check only if every segment keeps an owner that is neither leaving nor being checked
 * (issue 17: no acknowledged write is lost while at most {@code numOwners - 1} owners fail), and none is while
 * suspicion is widespread: more than half of the other members suspected within one window says that the machine
 * or the network is slow, not that those members are gone, unless one member takes part in every suspicion (it is the
 * slow one: it suspects the others as they suspect it).
 *
 * <p>Failure detection (FD_ALL3's heartbeats, FD_SOCK2's sockets, their own verification) still excludes a member
 * that is really gone, after its longer timeout; a suspect left to it is judged again at its next suspicion, by
 * then perhaps no longer the last owner of anything (a rebalance has given its segments other owners).
 *
 * <p>Pure: a function of the topology and the sets it is given (docs/design.md, "A starved machine").
 */
final class ExclusionRule {

    /**
     * What to do with the suspects.
     *
     * @param check      suspects to hand to JGroups' check, in the order given
     * @param deferred   suspects left to failure detection, each with the reason
     * @param widespread true if none is checked because suspicion is widespread
     */
    record Decision(List<Member> check, List<Deferral> deferred, boolean widespread) {
        Decision {
            check = List.copyOf(check);
            deferred = List.copyOf(deferred);
        }
    }

    /**
     * A suspect left to failure detection.
     *
     * @param member    the suspect
     * @param segment   the first segment its exclusion would leave without an owner; -1 when suspicion is widespread
     * @param segments  how many segments it would leave without an owner (0 when suspicion is widespread)
     * @param owners    that segment's owners, every one of them leaving, checked or suspected
     */
    record Deferral(Member member, int segment, int segments, List<Member> owners) {
        Deferral {
            owners = List.copyOf(owners);
        }
    }

    /** A suspicion raised lately: {@code by} suspected {@code member} (member ids). */
    record Suspected(String by, String member) {
    }

    private ExclusionRule() {
    }

    /**
     * True if suspicion is widespread: more than half of the other members are suspected, and no one member takes
     * part in every suspicion. One slow, lossy or cut-off member is suspected by the others and suspects them in
     * turn (its own answers are late too): every suspicion then involves it, and it alone is judged. A starved
     * machine has every member suspect every other.
     */
    static boolean widespread(Collection<Suspected> lately, int othersInView) {
        Set<String> suspects = new HashSet<>();
        lately.forEach(x -> suspects.add(x.member()));
        if (othersInView < 2 || suspects.size() * 2 <= othersInView) {
            return false;
        }
        Suspected any = lately.iterator().next();
        return !inEvery(lately, any.by()) && !inEvery(lately, any.member());
    }

    private static boolean inEvery(Collection<Suspected> lately, String id) {
        return lately.stream().allMatch(x -> x.by().equals(id) || x.member().equals(id));
    }

    /**
     * Decides, for {@code suspects} in order (oldest suspicion first), which the checker may have checked.
     *
     * @param topology     the installed topology, or null before the first: then nothing can be lost
     * @param going        members that may leave the tables anyway: named by {@code topology} but gone from the
     *                     view, or being checked already
     * @param suspects     members to decide on, none of them in {@code going}
     * @param lately       every suspicion raised within the window, by this member or told to it
     * @param othersInView members of the view other than the checker
     */
    static Decision decide(Topology topology, Collection<Member> going, List<Member> suspects,
                           Collection<Suspected> lately, int othersInView) {
        if (suspects.isEmpty()) {
            return new Decision(List.of(), List.of(), false);
        }
        if (widespread(lately, othersInView)) {
            return new Decision(List.of(), suspects.stream().map(m -> new Deferral(m, -1, 0, List.of())).toList(), true);
        }
        Set<Member> gone = new HashSet<>(going);
        List<Member> check = new ArrayList<>();
        List<Deferral> deferred = new ArrayList<>();
        for (Member m : suspects) {
            gone.add(m);
            Deferral d = topology == null ? null : ownerless(topology, gone, m);
            if (d == null) {
                check.add(m);
            } else {
                gone.remove(m);
                deferred.add(d);
            }
        }
        return new Decision(check, deferred, false);
    }

    /**
     * The segments {@code m}'s exclusion, with {@code gone}'s, would leave without an owner, or null. During a
     * rebalance a segment must keep an owner in both tables: the coordinator removes members from the current table,
     * and a checker whose topology lags may still show as pending what the coordinator already made current.
     */
    private static Deferral ownerless(Topology t, Set<Member> gone, Member m) {
        int first = -1;
        int count = 0;
        List<Member> firstOwners = List.of();
        for (int s = 0; s < t.numSegments(); s++) {
            OwnerTable lost = lostIn(t.current(), gone, m, s) ? t.current()
                    : t.pending() != null && lostIn(t.pending(), gone, m, s) ? t.pending() : null;
            if (lost != null) {
                if (first < 0) {
                    first = s;
                    firstOwners = lost.owners(s);
                }
                count++;
            }
        }
        return first < 0 ? null : new Deferral(m, first, count, firstOwners);
    }

    /** True if {@code m} owns {@code segment} in {@code table} and every owner of it is gone. */
    private static boolean lostIn(OwnerTable table, Set<Member> gone, Member m, int segment) {
        if (!table.isOwner(m, segment)) {
            return false;
        }
        for (Member o : table.owners(segment)) {
            if (!gone.contains(o)) {
                return false;
            }
        }
        return true;
    }
}
