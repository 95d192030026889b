package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.jgroups.JChannel;
import org.jgroups.util.Util;

/** Starting small clusters on loopback addresses for the stack tests. */
final class TestClusters {

    static final String LOOPBACK = "127.0.0.1";
    static final long VIEW_TIMEOUT_MILLIS = 10_000;
    static final long POLL_MILLIS = 50;

    private TestClusters() {
    }

    /** A cluster name no other test (or concurrent build sharing SHARED_LOOPBACK or a network) uses. */
    static String uniqueClusterName(String stack) {
        return "sessiongrid-" + stack + "-" + UUID.randomUUID();
    }

    /** Connects one member per property set and waits until all share a view with every member. */
    static void assertClusterForms(String stack, Properties... members) throws Exception {
        String cluster = uniqueClusterName(stack);
        List<JChannel> channels = new ArrayList<>();
        try {
            for (Properties member : members) {
                JChannel channel = StackLoader.newChannel(stack, member).name("M" + channels.size());
                channels.add(channel);
                channel.connect(cluster);
            }
            Util.waitUntilAllChannelsHaveSameView(VIEW_TIMEOUT_MILLIS, POLL_MILLIS, channels);
            assertEquals(members.length, channels.get(0).getView().size());
        } finally {
            closeNewestFirst(channels);
        }
    }

    /** Closes members in reverse joining order, so the coordinator leaves last and only once. */
    static void closeNewestFirst(List<JChannel> channels) {
        for (int i = channels.size() - 1; i >= 0; i--) {
            Util.close(channels.get(i));
        }
    }

    /** A tcp/tls member on {@code port} that discovers the cluster through the member on {@code seedPort}. */
    static Properties tcpMember(int port, int seedPort) {
        Properties properties = new Properties();
        properties.setProperty(StackLoader.BIND_ADDRESS, LOOPBACK);
        properties.setProperty(StackLoader.BIND_PORT, Integer.toString(port));
        // The port was found free; a range could let a member drift onto a port another test holds.
        properties.setProperty(StackLoader.PORT_RANGE, "0");
        properties.setProperty(StackLoader.INITIAL_HOSTS, LOOPBACK + "[" + seedPort + "]");
        return properties;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }
}
