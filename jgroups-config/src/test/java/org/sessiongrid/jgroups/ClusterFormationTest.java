package org.sessiongrid.jgroups;

import static org.sessiongrid.jgroups.TestClusters.assertClusterForms;
import static org.sessiongrid.jgroups.TestClusters.freePort;
import static org.sessiongrid.jgroups.TestClusters.tcpMember;

import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Two members on one stack form one cluster. Everything binds to 127.0.0.1 (surefire also sets
 * -Djgroups.bind_addr=127.0.0.1, which JGroups lets override any stack's bind_addr). The tls stack
 * is covered by {@link TlsStackTest}.
 */
class ClusterFormationTest {

    @Test
    void testLoopbackMembersFormOneCluster() throws Exception {
        assertClusterForms(StackLoader.STACK_TEST_LOOPBACK, new Properties(), new Properties());
    }

    @Test
    void tcpMembersFormOneCluster() throws Exception {
        int first = freePort();
        int second = freePort();
        assertClusterForms(StackLoader.STACK_TCP, tcpMember(first, first), tcpMember(second, first));
    }

    /**
     * Both members multicast over 127.0.0.1. That works on Linux although lo lacks the MULTICAST
     * flag, because the kernel loops multicast back to the sending host's own sockets
     * (IP_MULTICAST_LOOP); it proves nothing about multicast between hosts. ip_ttl=0 keeps the
     * datagrams on the host, and a random group and port keep concurrent builds apart.
     */
    @Test
    void udpMembersFormOneCluster() throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Properties properties = new Properties();
        properties.setProperty(StackLoader.BIND_ADDRESS, TestClusters.LOOPBACK);
        properties.setProperty(StackLoader.MCAST_ADDRESS, "239.9." + random.nextInt(1, 255) + "." + random.nextInt(1, 255));
        properties.setProperty(StackLoader.MCAST_PORT, Integer.toString(random.nextInt(20_000, 30_000)));
        properties.setProperty(StackLoader.IP_TTL, "0");
        assertClusterForms(StackLoader.STACK_UDP, properties, properties);
    }
}
