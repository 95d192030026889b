package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;

/**
 * A member installs topologies only from the coordinator its own view names. While views disagree (right
 * after a partition heals, or for a member the others excluded) two coordinators can each count a member
 * as theirs, and both would move records of the same members.
 */
class TopologyAuthorityTest {

    @Test
    void aTopologyFromAMemberThatIsNotThisMembersCoordinatorIsRefused() throws Exception {
        // remoteTimeout bounds how long a member waits for its view to name the sender (half of it).
        try (TestCluster c = new TestCluster("authority", b -> b.remoteTimeout(2_000)).start(3)) {
            c.awaitStable();
            Member coordinatorName = c.members.get(0).node().viewMembers().get(0);
            SessionGrid coordinator = c.members.stream().filter(g -> g.node().self().equals(coordinatorName))
                    .findFirst().orElseThrow();
            List<SessionGrid> others = c.members.stream().filter(g -> g != coordinator).toList();
            SessionGrid sender = others.get(0);
            SessionGrid target = others.get(1);
            Topology now = target.node().topology();
            Topology newer = new Topology(now.id() + 100, Phase.NONE, now.numOwners(), now.current(), null);

            GridMessage refused = sender.node().transport()
                    .request(target.node().self(), new TopologyUpdate(newer), 10_000).get();
            assertInstanceOf(GridMessage.Retry.class, refused);
            assertEquals(now.id(), target.node().topology().id(), "installed a topology from a non-coordinator");

            // The same topology from the coordinator is taken: the refusal was about the sender.
            coordinator.node().transport().request(target.node().self(), new TopologyUpdate(newer), 10_000).get();
            assertEquals(newer.id(), target.node().topology().id());
        }
    }
}
