package org.sessiongrid.jetty.testing;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.session.DefaultSessionIdManager;

/** The Jetty server of a one-JVM test: one connector on 127.0.0.1 at a free port, Jetty's id manager. */
public final class LoopbackServer {

    private LoopbackServer() {
    }

    /** A server, not started, whose session ids carry worker name {@code worker}. */
    public static Server withWorker(String worker) {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        DefaultSessionIdManager ids = new DefaultSessionIdManager(server);
        ids.setWorkerName(worker);
        server.addBean(ids, true);
        return server;
    }
}
