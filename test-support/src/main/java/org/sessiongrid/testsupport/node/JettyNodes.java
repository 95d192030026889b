package org.sessiongrid.testsupport.node;

import java.util.function.Supplier;

import org.eclipse.jetty.server.Server;

/** {@link NodeMain} for an embedded Jetty server. */
public final class JettyNodes {

    private JettyNodes() {
    }

    /** Starts {@code server}, prints the READY line, and serves until the JVM ends; SIGTERM stops it. */
    public static void serve(String name, Server server) throws Exception {
        serve(name, server, () -> null);
    }

    /**
     * As {@link #serve(String, Server)}, with {@code problem} saying why the started server does not serve
     * what the node is for (null when it does): then FAILED and exit 2.
     */
    public static void serve(String name, Server server, Supplier<String> problem) throws Exception {
        NodeMain.serve(name, new NodeMain.Container(server::start, problem, server::join, server::stop));
    }
}
