package org.sessiongrid.tomcat.embedded;

import java.nio.file.Path;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.sessiongrid.tomcat.multinode.TestPaths;
import org.sessiongrid.tomcat.testapp.TestWebapp;

/** An embedded Tomcat 11 in the test JVM with the test webapp at /app on a free loopback port. */
final class EmbeddedTomcat implements AutoCloseable {

    final Tomcat tomcat = new Tomcat();
    final Context context;

    /**
     * @param otherPaths further context paths serving the same webapp (each its own session namespace)
     */
    EmbeddedTomcat(String name, String managerElement, String... otherPaths) throws Exception {
        Path work = TestPaths.fresh("embedded-" + name);
        Path webapp = TestWebapp.prepare(work.resolve("webapp"),
                "<Context>" + managerElement + "</Context>");
        tomcat.setBaseDir(work.resolve("base").toString());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.setAddDefaultWebXmlToWebapp(false);
        tomcat.addUser("alice", "secret");
        tomcat.addRole("alice", "user");
        context = tomcat.addWebapp("/app", webapp.toString());
        for (String path : otherPaths) {
            tomcat.addWebapp(path, webapp.toString());
        }
        tomcat.start();
    }

    /** True on Tomcat 11 (Servlet 6.1, {@code HttpSession.Accessor}); the embedded tests also run on 10.1. */
    static boolean servlet61() {
        try {
            Class.forName("jakarta.servlet.http.HttpSession$Accessor");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    String url(String path) {
        return url("/app", path);
    }

    String url(String contextPath, String path) {
        return "http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + contextPath + path;
    }

    @Override
    public void close() throws org.apache.catalina.LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
