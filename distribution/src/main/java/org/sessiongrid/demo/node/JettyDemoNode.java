package org.sessiongrid.demo.node;

import java.nio.file.Path;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.eclipse.jetty.session.SessionCache;
import org.sessiongrid.demo.webapp.CounterServlet;
import org.sessiongrid.demo.webapp.GridStatusServlet;
import org.sessiongrid.demo.webapp.PageServlet;
import org.sessiongrid.jetty.cache.SessionGridSessionCacheFactory;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;

/**
 * One Jetty node of the demo farm ({@code --jetty}): an embedded Jetty 12 (ee10) on 127.0.0.1 whose
 * sample webapp ({@code /app}) keeps its sessions in SessionGrid, set up as the jetty-home module
 * {@code session-store-sessiongrid} sets up a real Jetty (store factory, SessionGrid session cache
 * saving before the response is committed, {@link SessionGridRequestHandler} in front), plus the
 * node's status at {@code /app/sg/status}. Prints {@code READY <name>} once serving.
 *
 * <p>System properties: the same as {@link DemoNode}'s ({@code sg.node.name} is Jetty's session
 * worker name, hence the cookie's route suffix and the grid member's name).
 */
public final class JettyDemoNode {

    private JettyDemoNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = NodeProcess.required("sg.node.name");
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(Integer.parseInt(NodeProcess.required("sg.node.port")));
        server.addConnector(connector);

        // The worker name ends every session cookie (".n1"): the balancer's sticky route. The store
        // names the grid member after it.
        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server); // routes name the primary
        ids.setWorkerName(name);
        server.addBean(ids, true);

        // What start.d/session-store-sessiongrid.ini says in a real Jetty; bindPort, initialHosts etc.
        // come from the sessiongrid.* system properties the launcher passes.
        SessionGridDataStoreFactory stores = new SessionGridDataStoreFactory();
        stores.setClusterName(NodeProcess.CLUSTER);
        stores.setStack("tcp");
        server.addBean(stores);
        SessionGridSessionCacheFactory caches = new SessionGridSessionCacheFactory();
        // Save the session before the response is committed: otherwise a user may see "+1" answered
        // for a change that a failover then loses.
        caches.setFlushOnResponseCommit(true);
        server.addBean(caches);

        // The sample webapp as its web.xml declares it (a ServletContextHandler reads no web.xml; the
        // Tomcat node deploys the same directory with it).
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ctx.setBaseResourceAsPath(Path.of(NodeProcess.required("sg.node.webapp")));
        ctx.getSessionHandler().setMaxInactiveInterval(30 * 60);
        ctx.addServlet(PageServlet.class, "");
        ctx.addServlet(PageServlet.class, "/index.html");
        ctx.addServlet(CounterServlet.class, "/api/counter");
        ctx.addServlet(GridStatusServlet.class, "/api/grid");
        ctx.addServlet(new ServletHolder("sg-status", new StatusServlet(name, () -> {
            SessionGridDataStore s = store(ctx);
            return s == null ? null : s.grid();
        }, () -> store(ctx).namespace())), "/sg/status");
        server.setHandler(ctx);
        // 503 before the servlet runs when the grid cannot produce the user's session (a failover in
        // progress), instead of a new empty session under the user's id.
        server.insertHandler(new SessionGridRequestHandler());

        // The grid member leaves gracefully on SIGTERM: Jetty stops the context, the store hands the
        // member's segments over.
        server.setStopAtShutdown(true);
        NodeProcess.watchParent();
        try {
            server.start();
        } catch (Exception e) {
            e.printStackTrace(System.out);
            NodeProcess.fail(name, "Jetty did not start: " + e);
        }
        if (!ctx.isAvailable() || store(ctx) == null) {
            NodeProcess.fail(name, "the sample webapp did not start with the SessionGrid store (session cache: "
                    + ctx.getSessionHandler().getSessionCache() + "); see the lines above");
        }
        NodeProcess.ready(name);
        server.join();
    }

    /** The context's SessionGrid store once the context has started, else null. */
    private static SessionGridDataStore store(ServletContextHandler ctx) {
        SessionCache cache = ctx.getSessionHandler().getSessionCache();
        return cache != null && cache.getSessionDataStore() instanceof SessionGridDataStore s && s.grid() != null ? s : null;
    }
}
