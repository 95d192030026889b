package org.sessiongrid.demo.node;

import java.io.File;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.sessiongrid.tomcat.SessionGridManager;

/**
 * One Tomcat node of the demo farm ({@link JettyDemoNode} is the Jetty one): an embedded Tomcat 11 on
 * 127.0.0.1 whose sample webapp ({@code /app}) keeps its sessions in SessionGrid, exactly as the
 * {@code <Manager>} line of a real Tomcat would, plus the node's status at {@code /app/sg/status}.
 * Prints {@code READY <name>} once serving.
 *
 * <p>System properties: {@code sg.node.name} (jvmRoute and member name), {@code sg.node.port},
 * {@code sg.node.webapp} (docBase), {@code sg.node.work}, {@code sg.parent.pid} (the launcher: the
 * node exits when it is gone, so a killed launcher leaves nothing behind), and the
 * {@code sessiongrid.*} settings and stack properties, which the manager reads as fallbacks.
 */
public final class DemoNode {

    /** The grid namespace of the sample webapp: host + context path, as the Tomcat manager names it. */
    static final String NAMESPACE = "localhost/app";

    private DemoNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = NodeProcess.required("sg.node.name");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(new File(NodeProcess.required("sg.node.work"), name).getAbsolutePath());
        tomcat.setPort(Integer.parseInt(NodeProcess.required("sg.node.port")));
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.getEngine().setJvmRoute(name);
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Context ctx = tomcat.addWebapp("/app", NodeProcess.required("sg.node.webapp"));

        // The same settings a user writes on the <Manager> line; bindPort, initialHosts etc. come
        // from the sessiongrid.* system properties the launcher passes.
        SessionGridManager manager = new SessionGridManager();
        manager.setClusterName(NodeProcess.CLUSTER);
        manager.setStack("tcp");
        ctx.setManager(manager);

        // The namespace follows the manager's rule (host + context path); a session's owners depend on
        // its id only, so the status stays right even if that rule changed.
        Wrapper status = Tomcat.addServlet(ctx, "sg-status", new StatusServlet(name, manager::getGrid, () -> NAMESPACE));
        status.addMapping("/sg/status");

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.stop(); // the grid member leaves gracefully: hands its segments over
                tomcat.destroy();
            } catch (Exception e) {
                System.err.println("node " + name + " did not stop cleanly: " + e);
            }
        }, "demo-node-shutdown"));
        NodeProcess.watchParent();
        tomcat.start();
        if (ctx.getState() != LifecycleState.STARTED) {
            NodeProcess.fail(name, "the sample webapp did not start (state " + ctx.getState() + "); see the lines above");
        }
        NodeProcess.ready(name);
        tomcat.getServer().await();
    }
}
