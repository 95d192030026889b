package org.sessiongrid.jetty.example;

import java.io.IOException;
import java.net.InetSocketAddress;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.sessiongrid.jetty.cache.SessionGridSessionCacheFactory;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;

/**
 * One node of a farm, ee11 (for ee10, the same with {@code org.eclipse.jetty.ee10.servlet}):
 * {@code java -Dsessiongrid.bindAddress=... -Dsessiongrid.initialHosts=... EmbeddedJetty <node name>
 * <HTTP address> <HTTP port>}. Every other setting is a {@code -Dsessiongrid.<name>} too (on a real
 * network at least {@code clusterSecretFile}), or {@code grid.setSetting(name, value)}.
 */
public final class EmbeddedJetty {

    public static void main(String[] args) throws Exception {
        String node = args[0]; // unique in the farm
        Server server = new Server(new InetSocketAddress(args[1], Integer.parseInt(args[2])));

        // The worker name ends every session id (".n1"): the route a sticky balancer follows, and this
        // grid member's name. Without it every node is "node0". SessionGridSessionIdManager is Jetty's
        // DefaultSessionIdManager whose routes name each session's primary.
        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server);
        ids.setWorkerName(node);
        server.addBean(ids, true);

        // As server beans, the two factories serve every context: nothing to set per context.
        SessionGridDataStoreFactory grid = new SessionGridDataStoreFactory();
        grid.setClusterName("shop");
        grid.setStack("tcp");
        server.addBean(grid);
        server.addBean(new SessionGridSessionCacheFactory());

        ServletContextHandler app = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        app.addServlet(CounterServlet.class, "/counter");
        server.setHandler(app);
        // After setHandler, which would replace it: in front of every context, it makes the session
        // saved before the response leaves and answers 503 when the grid cannot produce a session.
        // A store without it in front of its context refuses to start.
        server.insertHandler(new SessionGridRequestHandler());

        // SIGTERM stops Jetty: the contexts stop and this member hands its sessions over, then leaves.
        server.setStopAtShutdown(true);
        server.start();
        server.join();
    }

    /** The application: a counter in the session. */
    public static final class CounterServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            HttpSession session = request.getSession();
            Integer count = (Integer) session.getAttribute("count");
            count = count == null ? 1 : count + 1;
            session.setAttribute("count", count);
            response.getWriter().print(count);
        }
    }
}
