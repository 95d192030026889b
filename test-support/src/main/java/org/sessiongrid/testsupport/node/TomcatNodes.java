package org.sessiongrid.testsupport.node;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;

/** {@link NodeMain} for an embedded Tomcat whose node serves one context. */
public final class TomcatNodes {

    private TomcatNodes() {
    }

    /**
     * Starts {@code tomcat}, prints the READY line once {@code ctx} runs (FAILED and exit 2 if it does
     * not), and serves until the JVM ends; SIGTERM stops and destroys Tomcat.
     */
    public static void serve(String name, Tomcat tomcat, Context ctx) throws Exception {
        NodeMain.serve(name, new NodeMain.Container(tomcat::start,
                () -> ctx.getState() == LifecycleState.STARTED ? null
                        : "context " + ctx.getName() + " state " + ctx.getState(),
                () -> {
                    tomcat.getServer().await();
                    Thread.currentThread().join(); // until the shutdown hook has run
                },
                () -> {
                    tomcat.stop();
                    tomcat.destroy();
                }));
    }
}
