package org.sessiongrid.bench.contender;

import java.io.IOException;
import java.net.InetSocketAddress;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.DefaultSessionIdManager;
import org.eclipse.jetty.session.NullSessionDataStore;
import org.sessiongrid.it.node.CounterServlet;
import org.sessiongrid.testsupport.node.JettyNodes;

/**
 * One Jetty 12 (ee11) node with Jetty's in-process sessions, {@code DefaultSessionCache} over a
 * {@code NullSessionDataStore}: no replication, the Jetty counterpart of Tomcat's StandardManager, so that the
 * SessionGrid Jetty adapter's cost can be told apart from Jetty's own. HTTP on
 * {@code fault.address:fault.httpPort}, worker name {@code fault.node} (the sessions' route), the fault matrix's
 * {@link CounterServlet} at {@code /app} with the same timeout as the other contenders, and {@code /bench/status}
 * for the benchmark to wait on.
 */
public final class BenchJettyNode {

    private BenchJettyNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = System.getProperty("fault.node");
        Server server = new Server(new InetSocketAddress(System.getProperty("fault.address"),
                Integer.getInteger("fault.httpPort")));
        DefaultSessionIdManager ids = new DefaultSessionIdManager(server);
        ids.setWorkerName(name);
        server.addBean(ids, true);

        ServletContextHandler app = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        app.addServlet(CounterServlet.class, "/*").setAsyncSupported(true);
        DefaultSessionCache cache = new DefaultSessionCache(app.getSessionHandler());
        cache.setSessionDataStore(new NullSessionDataStore());
        app.getSessionHandler().setSessionCache(cache);
        app.getSessionHandler().setMaxInactiveInterval(1800);

        ServletContextHandler status = new ServletContextHandler("/bench");
        status.addServlet(new ServletHolder(new StatusServlet()), "/*");

        server.setHandler(new ContextHandlerCollection(app, status));
        JettyNodes.serve(name, server);
    }

    /** {@code node=<name>}: the node serves (it has no cluster to wait for). */
    static final class StatusServlet extends HttpServlet {

        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().print("node=" + System.getProperty("fault.node") + "\n");
        }
    }
}
