package org.sessiongrid.demo.node;

/**
 * What every demo node process does the same way, whatever its container: read the settings the
 * launcher passes, and end when the launcher is gone. Kept free of container classes, so that a Jetty
 * node never loads Tomcat's and the other way round.
 */
final class NodeProcess {

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

    static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set: demo nodes are started by "
                    + "org.sessiongrid.demo.DemoFarm, which sets it");
        }
        return v;
    }
}
