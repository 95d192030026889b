package org.sessiongrid.jgroups;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TP;
import org.jgroups.stack.Protocol;

/**
 * Redis' "protected mode" for the grid: a member without a cluster secret may listen only on
 * loopback addresses, where nothing but its own host reaches it. On any other address every host
 * that reaches the port could join and read and write sessions, so the member refuses to start and
 * says which setting to add. Mutual TLS (the {@code tls} stack) counts as protected.
 */
final class ProtectedMode {

    private ProtectedMode() {
    }

    /**
     * Checks the addresses {@code channel}'s sockets will listen on.
     *
     * @throws StackConfigurationException naming the exposed addresses and the settings
     *         {@code clusterSecret}, {@code clusterSecretFile} and {@code security=none}
     */
    static void check(JChannel channel, String stackDescription) throws StackConfigurationException {
        TP transport = channel.getProtocolStack().getTransport();
        if (transport instanceof SHARED_LOOPBACK) {
            return;
        }
        if (transport instanceof TCP tcp && tcp.tls() != null && tcp.tls().enabled()) {
            return;
        }
        List<String> exposed = new ArrayList<>();
        describeIfExposed(transport.getName(), transport.getBindAddress(), exposed);
        for (Protocol p : channel.getProtocolStack().getProtocols()) {
            if (p instanceof FD_SOCK2 fd) {
                describeIfExposed("FD_SOCK2", fd.getBindAddress(), exposed);
            }
        }
        if (exposed.isEmpty()) {
            return;
        }
        throw new StackConfigurationException(stackDescription + " would listen on " + String.join(", ", exposed) + " without a cluster secret: any host that"
                + " reaches it could join and read or change every session. Set clusterSecret (or clusterSecretFile)"
                + " to the same secret on every member (generate one with: openssl rand -base64 32), or use"
                + " stack=tls; only in a lab, set security=none to run unprotected");
    }

    private static void describeIfExposed(String what, InetAddress address, List<String> exposed) {
        if (address == null || address.isAnyLocalAddress()) {
            exposed.add("every interface (" + what + ")");
        } else if (!address.isLoopbackAddress()) {
            exposed.add(address.getHostAddress() + " (" + what + ")");
        }
    }
}
