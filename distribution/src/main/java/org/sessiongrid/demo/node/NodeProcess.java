package org.sessiongrid.demo.node;

/**
 * What every demo node process does the same way, whatever its container: read the settings the
 * launcher passes, tell it that the node serves ({@code READY <name> pid=<pid>}) or why it does not
 * ({@code FAILED <name>: why}, exit code 2), and end when the launcher is gone. Kept free of container
 * classes, so that a Jetty node never loads Tomcat's and the other way round. The demo ships, so it
 * keeps this protocol itself rather than use the tests' (test-support, never shipped).
 */
public final class NodeProcess {

    /** First word of the line a node prints once it serves. */
    public static final String READY = "READY";
    /** First word of the line a node prints when it cannot serve. */
    public static final String FAILED = "FAILED";
    /** The cluster every demo node joins. */
    static final String CLUSTER = "sessiongrid-demo";

    private NodeProcess() {
    }

    /** Exits when the launcher is gone (killed without its shutdown hook running). */
    static void watchParent() {
        String pid = System.getProperty("sg.parent.pid");
        if (pid == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresentOrElse(parent -> parent.onExit().thenRun(() -> {
            System.out.println("launcher " + pid + " is gone: stopping");
            System.exit(0);
        }), () -> System.exit(0));
    }

    /** True if {@code line} is node {@code name}'s READY line. */
    public static boolean isReady(String line, String name) {
        return line.equals(READY + " " + name) || line.startsWith(READY + " " + name + " ");
    }

    /** Tells the launcher that the node serves. */
    static void ready(String name) {
        System.out.println(READY + " " + name + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
    }

    /** Tells the launcher why the node does not serve, and exits with 2. */
    static void fail(String name, String why) {
        System.out.println(FAILED + " " + name + ": " + why);
        System.out.flush();
        System.exit(2);
    }

    static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set: demo nodes are started by "
                    + "org.sessiongrid.demo.DemoFarm, which sets it");
        }
        return v;
    }
}
