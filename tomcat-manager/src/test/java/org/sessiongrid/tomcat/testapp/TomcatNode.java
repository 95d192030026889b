package org.sessiongrid.tomcat.testapp;

import java.io.File;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;

/**
 * A Tomcat node of the multi-process tests: embedded Tomcat on 127.0.0.1 with the test webapp at
 * {@code /app} (its META-INF/context.xml configures the SessionGridManager). Prints {@code READY} once
 * started; a SIGTERM stops Tomcat gracefully (the grid hands this node's share over).
 *
 * <p>System properties: {@code sg.node.port}, {@code sg.node.route} (jvmRoute), {@code sg.node.webapp}
 * (docBase), {@code sg.node.work}, and the {@code sessiongrid.*} stack properties.
 */
public final class TomcatNode {

    private TomcatNode() {
    }

    public static void main(String[] args) throws Exception {
        String route = System.getProperty("sg.node.route");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(new File(System.getProperty("sg.node.work"), route).getAbsolutePath());
        tomcat.setPort(Integer.getInteger("sg.node.port"));
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.getEngine().setJvmRoute(route);
        tomcat.setAddDefaultWebXmlToWebapp(false);
        tomcat.addUser("alice", "secret");
        tomcat.addRole("alice", "user");
        Context ctx = tomcat.addWebapp("/app", System.getProperty("sg.node.webapp"));
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
        System.out.println("READY " + route + " " + org.apache.catalina.util.ServerInfo.getServerNumber());
        tomcat.getServer().await();
        Thread.currentThread().join();
    }
}
