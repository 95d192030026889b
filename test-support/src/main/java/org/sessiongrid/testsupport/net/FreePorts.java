package org.sessiongrid.testsupport.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for the nodes of one fixture, none handed out twice by the same instance (a port
 * is free when asked, not reserved: the nodes bind them soon after). Not thread-safe.
 */
public final class FreePorts {

    /** FD_SOCK2 listens on the JGroups port + 100 and the next three. */
    private static final int[] GRID_OFFSETS = {0, 100, 101, 102, 103};

    private final Set<Integer> used = new HashSet<>();

    /** A port the kernel picks (an HTTP connector's). */
    public int port() throws IOException {
        for (int i = 0; i < 200; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (used.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
        throw new IOException("no free port");
    }

    /** A JGroups port p in 20000..39999 with p+100..p+103 (FD_SOCK2) free as well. */
    public int gridPort() throws IOException {
        for (int i = 0; i < 500; i++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            boolean ok = true;
            for (int offset : GRID_OFFSETS) {
                ok &= !used.contains(p + offset) && bindable(p + offset);
            }
            if (ok) {
                for (int offset : GRID_OFFSETS) {
                    used.add(p + offset);
                }
                return p;
            }
        }
        throw new IOException("no free JGroups port range");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
