package org.sessiongrid.it.node;

import java.net.InetSocketAddress;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.eclipse.jetty.session.HouseKeeper;
import org.eclipse.jetty.session.SessionCache;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;
import org.sessiongrid.testsupport.node.JettyNodes;

/**
 * A Jetty 12 (ee11) node of the fault matrix, run by the rig in its own network namespace: HTTP on
 * {@code fault.address:fault.httpPort}, worker name = {@code fault.node}, the counter webapp at
 * {@code /app} with SessionGridSessionCache over the SessionGrid store (the module's recommended setup
 * for sticky and non-sticky farms). Grid settings come as {@code sessiongrid.*} system properties; served
 * by test-support's node-main protocol (READY once started, SIGTERM stops the server).
 */
public final class JettyFaultNode {

    private JettyFaultNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = System.getProperty("fault.node");
        Server server = new Server(new InetSocketAddress(System.getProperty("fault.address"),
                Integer.getInteger("fault.httpPort")));

        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server); // routes name the primary
        ids.setWorkerName(name);
        HouseKeeper keeper = new HouseKeeper();
        keeper.setIntervalSec(1); // short timeouts of the expiry users are checked within a second
        ids.setSessionHouseKeeper(keeper);
        server.addBean(ids, true);

        SessionGridDataStoreFactory store = new SessionGridDataStoreFactory();
        store.setGracePeriodSec(1);
        server.addBean(store);

        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ctx.addServlet(CounterServlet.class, "/*").setAsyncSupported(true);
        ctx.addEventListener(new DestroyedListener());
        SessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        // The session must be saved before the response is committed, or the client sees 200 for a write
        // that a crash right after loses (the jetty-home module sets this; embedded Jetty defaults to false).
        cache.setFlushOnResponseCommit(true);
        cache.setSessionDataStore(store.getSessionDataStore(ctx.getSessionHandler()));
        ctx.getSessionHandler().setSessionCache(cache);
        ctx.getSessionHandler().setMaxInactiveInterval(1800);
        // As the jetty-home module does: a request whose session the grid cannot produce (failover beyond
        // remoteTimeout) is answered 503 before it reaches the servlet, instead of running with no session.
        server.setHandler(new org.sessiongrid.jetty.request.SessionGridRequestHandler(ctx));
        JettyNodes.serve(name, server);
    }
}
