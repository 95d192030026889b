package org.sessiongrid.demo.node;

import java.io.File;
import java.lang.reflect.Field;
import java.util.function.Supplier;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.tomcat.SessionGridManager;

/**
 * One node of the demo farm: an embedded Tomcat 11 on 127.0.0.1 whose sample webapp ({@code /app})
 * keeps its sessions in SessionGrid, exactly as the {@code <Manager>} line of a real Tomcat would, plus
 * the node's status at {@code /app/sg/status}. Prints {@code READY <name>} once serving.
 *
 * <p>System properties: {@code sg.node.name} (jvmRoute and member name), {@code sg.node.port},
 * {@code sg.node.webapp} (docBase), {@code sg.node.work}, {@code sg.parent.pid} (the launcher: the
 * node exits when it is gone, so a killed launcher leaves nothing behind), and the
 * {@code sessiongrid.*} settings and stack properties, which the manager reads as fallbacks.
 */
public final class DemoNode {

    /** The cluster every demo node joins. */
    public static final String CLUSTER = "sessiongrid-demo";

    private DemoNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = required("sg.node.name");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(new File(required("sg.node.work"), name).getAbsolutePath());
        tomcat.setPort(Integer.parseInt(required("sg.node.port")));
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.getEngine().setJvmRoute(name);
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Context ctx = tomcat.addWebapp("/app", required("sg.node.webapp"));

        // The same settings a user writes on the <Manager> line; bindPort, initialHosts etc. come
        // from the sessiongrid.* system properties the launcher passes.
        SessionGridManager manager = new SessionGridManager();
        manager.setClusterName(CLUSTER);
        manager.setStack("tcp");
        ctx.setManager(manager);

        Wrapper status = Tomcat.addServlet(ctx, "sg-status", new StatusServlet(name, gridOf(manager)));
        status.addMapping("/sg/status");

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.stop(); // the grid member leaves gracefully: hands its segments over
                tomcat.destroy();
            } catch (Exception e) {
                System.err.println("node " + name + " did not stop cleanly: " + e);
            }
        }, "demo-node-shutdown"));
        watchParent();
        tomcat.start();
        if (ctx.getState() != LifecycleState.STARTED) {
            System.out.println("FAILED " + name + ": the sample webapp did not start (state " + ctx.getState()
                    + "); see the lines above");
            System.exit(2);
        }
        System.out.println("READY " + name + " pid=" + ProcessHandle.current().pid());
        tomcat.getServer().await();
    }

    /**
     * The manager's grid, for the status servlet. SessionGridManager has no public accessor yet
     * (requested in core-requests.md); the demo reads the field, and the status servlet answers
     * "unavailable" if that ever fails rather than breaking the node.
     */
    private static Supplier<SessionGrid> gridOf(SessionGridManager manager) {
        return () -> {
            try {
                Field f = SessionGridManager.class.getDeclaredField("grid");
                f.setAccessible(true);
                return (SessionGrid) f.get(manager);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        };
    }

    /** Exits when the launcher is gone (killed without its shutdown hook running). */
    private static void watchParent() {
        String pid = System.getProperty("sg.parent.pid");
        if (pid == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresentOrElse(parent -> parent.onExit().thenRun(() -> {
            System.out.println("launcher " + pid + " is gone: stopping");
            System.exit(0);
        }), () -> System.exit(0));
    }

    private static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set: DemoNode is started by "
                    + "org.sessiongrid.demo.DemoFarm, which sets it");
        }
        return v;
    }
}
