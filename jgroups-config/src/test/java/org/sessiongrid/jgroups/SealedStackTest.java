package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sessiongrid.jgroups.TestClusters.freePort;
import static org.sessiongrid.jgroups.TestClusters.tcpMember;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;

/** Channels on the shipped tcp stack with a cluster secret, over loopback sockets. */
class SealedStackTest {

    private static final String SECRET = "s3cret-for-the-sealed-stack-test";

    @Test
    void membersWithTheSecretFormACluster() throws Exception {
        String cluster = TestClusters.uniqueClusterName("sealed");
        int first = freePort();
        List<JChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                int port = i == 0 ? first : freePort();
                JChannel c = StackLoader.newChannel(StackLoader.STACK_TCP, tcpMember(port, first),
                        ChannelSecurity.sealed(cluster, List.of(SECRET))).name("M" + i);
                channels.add(c);
                c.connect(cluster);
            }
            Util.waitUntilAllChannelsHaveSameView(TestClusters.VIEW_TIMEOUT_MILLIS, TestClusters.POLL_MILLIS, channels);
            assertEquals(3, channels.get(0).getView().size());
            assertNotNull(channels.get(0).getProtocolStack().findProtocol(SEAL.class));
        } finally {
            TestClusters.closeNewestFirst(channels);
        }
    }

    /**
     * The udp stack: multicast sealed once reaches every member, and a member's own multicasts, which
     * the kernel loops back to its socket after JGroups delivered them locally, are not taken for
     * replays (nothing is counted as dropped).
     */
    @Test
    void udpMembersWithTheSecretFormAClusterWithoutFalseDrops() throws Exception {
        String cluster = TestClusters.uniqueClusterName("sealed-udp");
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        Properties udp = new Properties();
        udp.setProperty(StackLoader.BIND_ADDRESS, TestClusters.LOOPBACK);
        udp.setProperty(StackLoader.MCAST_ADDRESS, "239.9." + random.nextInt(1, 255) + "." + random.nextInt(1, 255));
        udp.setProperty(StackLoader.MCAST_PORT, Integer.toString(random.nextInt(20_000, 30_000)));
        udp.setProperty(StackLoader.IP_TTL, "0");
        List<JChannel> channels = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        try {
            for (int i = 0; i < 2; i++) {
                JChannel c = StackLoader.newChannel(StackLoader.STACK_UDP, udp,
                        ChannelSecurity.sealed(cluster, List.of(SECRET))).name("U" + i);
                c.setReceiver(new Receiver() {
                    @Override
                    public void receive(org.jgroups.Message msg) {
                        received.incrementAndGet();
                    }
                });
                channels.add(c);
                c.connect(cluster);
            }
            Util.waitUntilAllChannelsHaveSameView(TestClusters.VIEW_TIMEOUT_MILLIS, TestClusters.POLL_MILLIS, channels);
            for (int i = 0; i < 50; i++) {
                channels.get(i % 2).send(null, new byte[] {(byte) i});
            }
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (received.get() < 100 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals(100, received.get(), "each multicast delivered once to each of the 2 members");
            for (JChannel c : channels) {
                SEAL seal = c.getProtocolStack().findProtocol(SEAL.class);
                assertEquals(Map.of(), seal.dropped(), c.getName() + "'s drops");
            }
        } finally {
            TestClusters.closeNewestFirst(channels);
        }
    }

    /**
     * Members without the secret, or with another one, discover the cluster through its seed and ask
     * to join; they never appear in a view of the cluster's members, and those count their messages.
     */
    @Test
    void membersWithoutTheSecretOrWithAnotherNeverJoin() throws Exception {
        String cluster = TestClusters.uniqueClusterName("sealed");
        int first = freePort();
        List<JChannel> channels = new ArrayList<>();
        Set<Address> seen = ConcurrentHashMap.newKeySet();
        try {
            JChannel a = StackLoader.newChannel(StackLoader.STACK_TCP, tcpMember(first, first),
                    ChannelSecurity.sealed(cluster, List.of(SECRET))).name("A");
            a.setReceiver(new Receiver() {
                @Override
                public void viewAccepted(View view) {
                    seen.addAll(view.getMembers());
                }
            });
            channels.add(a);
            a.connect(cluster);
            JChannel other = StackLoader.newChannel(StackLoader.STACK_TCP, tcpMember(freePort(), first),
                    ChannelSecurity.sealed(cluster, List.of("a-different-secret-entirely"))).name("Other");
            channels.add(other);
            other.connect(cluster);
            JChannel none = StackLoader.newChannel(StackLoader.STACK_TCP, tcpMember(freePort(), first),
                    ChannelSecurity.protectedMode(cluster)).name("None");
            channels.add(none);
            none.connect(cluster);
            // Joining is synchronous: a member that was admitted is in the view when connect() returns.
            assertEquals(1, other.getView().size(), "the member with another secret was admitted");
            assertEquals(1, none.getView().size(), "the member without a secret was admitted");
            assertEquals(Set.of(a.getAddress()), seen);
            SEAL seal = a.getProtocolStack().findProtocol(SEAL.class);
            Map<String, Long> drops = seal.dropped();
            assertTrue(drops.getOrDefault("other-secret", 0L) > 0, drops.toString());
            assertTrue(drops.getOrDefault("unsealed", 0L) > 0, drops.toString());
        } finally {
            TestClusters.closeNewestFirst(channels);
        }
    }

    @Test
    void protectedModeRefusesANonLoopbackAddressAndSaysWhatToSet() throws Exception {
        String lan = nonLoopbackAddress();
        assumeTrue(lan != null, "this host has no non-loopback IPv4 address");
        Properties wildcard = tcpMember(freePort(), freePort());
        wildcard.setProperty(StackLoader.BIND_ADDRESS, lan);
        // The build's -Djgroups.bind_addr=127.0.0.1 would override the stack's bind address.
        String saved = System.clearProperty("jgroups.bind_addr");
        try {
            StackConfigurationException e = assertThrows(StackConfigurationException.class,
                    () -> StackLoader.newChannel(StackLoader.STACK_TCP, wildcard, ChannelSecurity.protectedMode("shop")));
            assertTrue(e.getMessage().contains(lan + " (TCP_NIO2)"), e.getMessage());
            assertTrue(e.getMessage().contains("clusterSecret"), e.getMessage());
            assertTrue(e.getMessage().contains("security=none"), e.getMessage());
            StackLoader.newChannel(StackLoader.STACK_TCP, wildcard, ChannelSecurity.none()).close();
            JChannel sealed = StackLoader.newChannel(StackLoader.STACK_TCP, wildcard,
                    ChannelSecurity.sealed("shop", List.of(SECRET)));
            sealed.close();
        } finally {
            if (saved != null) {
                System.setProperty("jgroups.bind_addr", saved);
            }
        }
        // Loopback needs nothing.
        StackLoader.newChannel(StackLoader.STACK_TCP, tcpMember(freePort(), freePort()),
                ChannelSecurity.protectedMode("shop")).close();
        StackLoader.newChannel(StackLoader.STACK_TEST_LOOPBACK, new Properties(),
                ChannelSecurity.protectedMode("shop")).close();
        assertFalse(ChannelSecurity.protectedMode("shop").isSealed());
    }

    /** An IPv4 address of an interface that is up and not loopback, or null. */
    static String nonLoopbackAddress() throws java.net.SocketException {
        for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) {
                continue;
            }
            for (java.net.InetAddress address : java.util.Collections.list(nif.getInetAddresses())) {
                if (address instanceof java.net.Inet4Address) {
                    return address.getHostAddress();
                }
            }
        }
        return null;
    }
}
