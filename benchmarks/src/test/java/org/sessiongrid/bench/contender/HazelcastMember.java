package org.sessiongrid.bench.contender;

import java.util.List;
import java.util.stream.Collectors;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Hazelcast member of a Hazelcast contender node, set up as the issue compares it with
 * SessionGrid: every map entry on all three members of a 3-node farm ({@code backup-count=2}, synchronous
 * backups, as SessionGrid's two synchronous backups), members found by TCP-IP join over a fixed list of
 * loopback addresses (multicast and auto-detection off), bound to the node's own loopback address on its own
 * port, and nothing sent off the machine (phone-home off). Everything else is Hazelcast's default.
 *
 * <p>Its logs are quiet: Hazelcast logs through SLF4J at the node's level (warn), and this class logs one
 * line per member event.
 */
final class HazelcastMember {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMember.class);

    private HazelcastMember() {
    }

    /**
     * Starts the member and returns once it has joined (or founded) the cluster.
     *
     * @param name the instance name (the node's; the web filter finds the instance by it)
     * @param address the node's loopback address, the only one the member binds
     * @param members the addresses of every node of the farm (TCP-IP join)
     * @param port the member port, the same on every address
     * @param cluster the cluster name, unique per farm
     */
    static HazelcastInstance start(String name, String address, List<String> members, int port, String cluster) {
        Config config = new Config();
        config.setInstanceName(name);
        config.setClusterName(cluster);
        // Hazelcast's phone-home reports usage to its vendor: nothing of a benchmark leaves the machine.
        config.setProperty("hazelcast.phone.home.enabled", "false");
        // Bind the node's own address only: Hazelcast otherwise binds every interface, and picks its address by
        // interface matching, which does not see the 127.8.x.y aliases of lo.
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.local.localAddress", address);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true)
                .setMembers(members.stream().map(a -> a + ":" + port).collect(Collectors.toList()));
        // Every map, the web filter's session map included: two synchronous backups (the default is one).
        config.getMapConfig("default").setBackupCount(2).setAsyncBackupCount(0);
        config.addListenerConfig(new ListenerConfig(new MemberEvents(name)));
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        LOG.info("{}: Hazelcast member {} up, {} members", name, hz.getCluster().getLocalMember().getAddress(),
                hz.getCluster().getMembers().size());
        return hz;
    }

    /** One log line per member that joins or leaves. */
    private record MemberEvents(String node) implements MembershipListener {

        @Override
        public void memberAdded(MembershipEvent e) {
            LOG.info("{}: Hazelcast member {} joined, {} members", node, e.getMember().getAddress(), e.getMembers().size());
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
            LOG.info("{}: Hazelcast member {} left, {} members", node, e.getMember().getAddress(), e.getMembers().size());
        }
    }
}
