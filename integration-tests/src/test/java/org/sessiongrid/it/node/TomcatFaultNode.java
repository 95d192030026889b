package org.sessiongrid.it.node;

import java.io.File;

import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.sessiongrid.testsupport.node.TomcatNodes;
import org.sessiongrid.tomcat.SessionGridManager;

/**
 * A Tomcat 11 node of the fault matrix, run by the rig in its own network namespace: HTTP on
 * {@code fault.address:fault.httpPort}, jvmRoute = {@code fault.node}, the counter webapp at {@code /app}
 * with {@link SessionGridManager}. Every grid setting comes as a {@code sessiongrid.*} system property
 * (the manager falls back to them), so the rig configures Tomcat and Jetty nodes the same way.
 * Served by test-support's node-main protocol: READY once started, SIGTERM stops Tomcat gracefully (the
 * grid hands this node's share over).
 */
public final class TomcatFaultNode {

    private TomcatFaultNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = System.getProperty("fault.node");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(new File(System.getProperty("fault.work"), name + "-tomcat").getAbsolutePath());
        Connector connector = new Connector();
        connector.setPort(Integer.getInteger("fault.httpPort"));
        connector.setProperty("address", System.getProperty("fault.address"));
        tomcat.setConnector(connector);
        tomcat.getEngine().setJvmRoute(name);
        Context ctx = tomcat.addContext("/app", new File(System.getProperty("fault.work")).getAbsolutePath());
        ctx.setSessionTimeout(30);
        ctx.setManager(new SessionGridManager());
        ctx.addApplicationListener(DestroyedListener.class.getName());
        Tomcat.addServlet(ctx, "counter", new CounterServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/*", "counter");
        TomcatNodes.serve(name, tomcat, ctx);
    }
}
