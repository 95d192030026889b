package org.sessiongrid.testsupport.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.sessiongrid.testsupport.net.FreePorts;

/**
 * Where one node of a multi-process test farm lives, whichever process runs there (a restarted node
 * keeps its slot): its name, its HTTP and JGroups ports on 127.0.0.1, and its log file.
 *
 * @param name     the node's name (its grid member's, its READY line's)
 * @param httpPort its HTTP connector's port
 * @param gridPort its JGroups port (FD_SOCK2 listens 100 above)
 * @param log      the file its output is appended to
 */
public record NodeSlot(String name, int httpPort, int gridPort, Path log) {

    /** A slot named {@code name} with ports from {@code ports}, logging to {@code <work>/<name>.log}. */
    public static NodeSlot of(String name, FreePorts ports, Path work) throws IOException {
        return new NodeSlot(name, ports.port(), ports.gridPort(), work.resolve(name + ".log"));
    }

    /** The URL of {@code path} (starting with "/") on this node's HTTP port. */
    public String url(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    /** The JGroups host list of a farm of {@code slots}, as {@code initialHosts} takes it. */
    public static String initialHosts(List<NodeSlot> slots) {
        return slots.stream().map(s -> "127.0.0.1[" + s.gridPort() + "]").collect(Collectors.joining(","));
    }
}
