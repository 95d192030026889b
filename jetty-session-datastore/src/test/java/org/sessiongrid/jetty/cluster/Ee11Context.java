package org.sessiongrid.jetty.cluster;

import org.eclipse.jetty.ee11.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.security.ConstraintMapping;
import org.eclipse.jetty.ee11.servlet.security.ConstraintSecurityHandler;
import org.eclipse.jetty.server.Handler;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;

/** The test webapp as an ee11 servlet context; {@code /secure} is FORM-protected ({@link JettyNode#formLogin}). */
final class Ee11Context {

    private Ee11Context() {
    }

    static Handler create(String path, ClassLoader webapp, SessionGridDataStoreFactory store) throws Exception {
        ServletContextHandler ctx = new ServletContextHandler(path, ServletContextHandler.SESSIONS);
        ctx.setClassLoader(webapp);
        ctx.addServlet(SessionServlet.class, "/*").setAsyncSupported(true);
        ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
        errors.addErrorPage(409, "/show");
        ctx.setErrorHandler(errors);
        ctx.addEventListener(new SessionServlet.Destroyed());
        ctx.getSessionHandler().setSessionCache(JettyNode.cache(path, ctx.getSessionHandler(), store));
        if (path.equals("/secure")) {
            ConstraintSecurityHandler security = new ConstraintSecurityHandler();
            ConstraintMapping everything = new ConstraintMapping();
            everything.setPathSpec("/*");
            everything.setConstraint(JettyNode.USER_ROLE);
            security.addConstraintMapping(everything);
            JettyNode.formLogin(security);
            ctx.setSecurityHandler(security);
        }
        return ctx;
    }
}
