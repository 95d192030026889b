package org.sessiongrid.tomcat.multinode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.sessiongrid.tomcat.multinode.TomcatCluster.Node;

/**
 * Tomcat stopped normally (SIGTERM, expireSessionsOnShutdown=false) hands its sessions over before it
 * leaves. With numOwners=1 the stopping node holds the only copy of its sessions, so nothing would
 * survive without the hand-over.
 */
class RollingRestartTest {

    @Test
    void aStoppedNodeHandsItsSessionsOverEvenWithOneOwner() throws Exception {
        try (TomcatCluster cluster = TomcatCluster.start(TomcatCluster.Line.selected(), "rolling", 2,
                Map.of("sg.numOwners", "1"))) {
            Node n1 = cluster.node("n1");
            Node n2 = cluster.node("n2");
            List<WebUser> users = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                WebUser u = new WebUser("rolling" + i);
                assertEquals(1, AbstractThreeNodeTest.counter(u.get(cluster.nodes.get(i % 2).url("/counter"))));
                users.add(u);
            }
            n2.stop();
            for (WebUser u : users) {
                assertEquals(2, AbstractThreeNodeTest.counter(u.get(n1.url("/counter"))), u.toString());
            }
        }
    }
}
