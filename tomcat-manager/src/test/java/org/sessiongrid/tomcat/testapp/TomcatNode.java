package org.sessiongrid.tomcat.testapp;

import java.io.File;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.sessiongrid.testsupport.node.TomcatNodes;

/**
 * A Tomcat node of the multi-process tests: embedded Tomcat on 127.0.0.1 with the test webapp at
 * {@code /app} (its META-INF/context.xml configures the SessionGridManager), served by test-support's
 * node-main protocol (READY line once started; SIGTERM stops Tomcat gracefully, and the grid hands this
 * node's share over).
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
        TomcatNodes.serve(route, tomcat, ctx);
    }
}
