package org.sessiongrid.it.node;

import java.io.File;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.sessiongrid.tomcat.SessionGridManager;

/**
 * A Tomcat 11 node of the fault matrix, run by the rig in its own network namespace: HTTP on
 * {@code fault.address:fault.httpPort}, jvmRoute = {@code fault.node}, the counter webapp at {@code /app}
 * with {@link SessionGridManager}. Every grid setting comes as a {@code sessiongrid.*} system property
 * (the manager falls back to them), so the rig configures Tomcat and Jetty nodes the same way.
 * SIGTERM stops Tomcat gracefully (the grid hands this node's share over).
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
        serve(tomcat, ctx, name);
    }

    /**
     * Starts Tomcat, prints {@code READY <name>} (what the launcher waits for) once {@code ctx} runs, or
     * exits with 2 if it did not start, and serves until the JVM ends; SIGTERM stops Tomcat gracefully.
     * Shared with the benchmarks' node main.
     */
    public static void serve(Tomcat tomcat, Context ctx, String name) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.stop();
                tomcat.destroy();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }, "tomcat-node-shutdown"));
        tomcat.start();
        if (ctx.getState() != LifecycleState.STARTED) {
            System.out.println("FAILED context state " + ctx.getState());
            System.exit(2);
        }
        System.out.println("READY " + name);
        System.out.flush();
        tomcat.getServer().await();
        Thread.currentThread().join();
    }
}
