package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.SegmentHash;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/** Checks over a whole test cluster. */
final class GridAssertions {

    private GridAssertions() {
    }

    /** Every session's counter, read through every live member, is between its acked and attempted value. */
    static void countersSurvived(TestCluster cluster, String namespace, CounterLoad load) {
        for (int i = 0; i < load.ids.size(); i++) {
            String id = load.ids.get(i);
            long acked = load.acked.get(i);
            long attempted = load.attempted.get(i);
            Long seen = null;
            for (SessionGrid g : cluster.live()) {
                SessionRecord r = g.store(namespace).find(id, null);
                assertNotNull(r, "session " + id + " lost (read through " + g.memberName() + ")");
                long v = CounterLoad.decode(r);
                assertTrue(v >= acked, "session " + id + " read through " + g.memberName() + " has counter " + v
                        + " but " + acked + " was acknowledged: an acknowledged write was lost");
                assertTrue(v <= attempted, "session " + id + " has counter " + v + " that no one wrote (last attempt "
                        + attempted + ")");
                if (seen != null) {
                    assertEquals(seen.longValue(), v, "members disagree on session " + id);
                }
                seen = v;
            }
        }
    }

    /**
     * Every segment has min(numOwners, members) distinct live owners, and every owner holds the same
     * version of every record of the segment, and no member holds records of segments it does not own.
     */
    static void ownersComplete(TestCluster cluster, int numOwners) {
        List<SessionGrid> live = cluster.live();
        Topology t = live.get(0).topology();
        int k = Math.min(numOwners, live.size());
        Set<String> liveNames = new HashSet<>();
        live.forEach(g -> liveNames.add(g.memberName()));
        for (int s = 0; s < t.numSegments(); s++) {
            List<Member> owners = t.current().owners(s);
            assertEquals(k, owners.size(), "segment " + s + " owners " + owners);
            assertEquals(k, new HashSet<>(owners).size(), "segment " + s + " has duplicate owners " + owners);
            for (Member m : owners) {
                assertTrue(liveNames.contains(m.toString()), "segment " + s + " owned by dead member " + m);
            }
        }
        for (SessionGrid g : live) {
            Member me = g.node().self();
            for (int s = 0; s < t.numSegments(); s++) {
                boolean owner = t.current().isOwner(me, s);
                for (SessionRecord r : g.node().records().records(s)) {
                    assertTrue(owner, g.memberName() + " holds " + r.key() + " of segment " + s + " it does not own");
                    for (SessionGrid other : live) {
                        if (t.current().isOwner(other.node().self(), s)) {
                            SessionRecord copy = other.node().records().get(r.key());
                            assertNotNull(copy, other.memberName() + " (owner of segment " + s + ") lacks " + r.key());
                            assertEquals(r.version(), copy.version(), "copies of " + r.key() + " differ");
                        }
                    }
                }
            }
        }
    }

    static int segmentOf(String id, int numSegments) {
        return SegmentHash.segmentOf(new SessionKey("x", SegmentHash.stripRoute(id)).id(), numSegments);
    }
}
