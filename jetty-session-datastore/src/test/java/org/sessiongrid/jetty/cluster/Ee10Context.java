package org.sessiongrid.jetty.cluster;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Handler;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;

/** The test webapp as an ee10 servlet context. */
final class Ee10Context {

    private Ee10Context() {
    }

    static Handler create(String path, ClassLoader webapp, SessionGridDataStoreFactory store) throws Exception {
        ServletContextHandler ctx = new ServletContextHandler(path, ServletContextHandler.SESSIONS);
        ctx.setClassLoader(webapp);
        ctx.addServlet(SessionServlet.class, "/*");
        ctx.addEventListener(new SessionServlet.Destroyed());
        ctx.getSessionHandler().setSessionCache(JettyNode.cache(path, ctx.getSessionHandler(), store));
        return ctx;
    }
}
