package org.sessiongrid.it.node;

import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.sessiongrid.jgroups.StackLoader;

/**
 * A bare cluster member (a channel on a shipped stack, no grid) in a JVM of its own, run in a rig
 * namespace by tests of the stacks themselves: killed the way a host dies (SIGKILL: its sockets close,
 * nothing is said), on an address and port of its own like a member on its own host. Arguments: the stack, the member's name, then
 * {@code key=value} stack properties. Every 100 ms it prints one line:
 * {@code status view=<size> fd=<FD_SOCK2 client state> suspected=<members FD_SOCK2 ever suspected>}.
 */
public final class StackMember {

    private StackMember() {
    }

    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            properties.setProperty(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        try (JChannel channel = StackLoader.newChannel(args[0], properties).name(args[1])) {
            channel.connect("member-process-" + args[0]);
            FD_SOCK2 fd = channel.getProtocolStack().findProtocol(FD_SOCK2.class);
            while (true) {
                String history = fd.printSuspectHistory();
                System.out.println("status view=" + channel.getView().size() + " fd=" + fd.getClientState()
                        + " suspected=" + (history.isBlank() ? 0 : history.split("\n").length));
                System.out.flush();
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }
}
