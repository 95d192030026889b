package org.sessiongrid.demo;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo farm: three Tomcat nodes with SessionGrid (child JVMs, {@link org.sessiongrid.demo.node.DemoNode};
 * with {@code --jetty} Jetty 12 nodes, {@link org.sessiongrid.demo.node.JettyDemoNode}) behind a load
 * balancer on http://localhost:8080, which also serves the demo's controls and status under
 * {@code /demo}. Ctrl-C stops every process it started.
 *
 * <pre>
 * java ... org.sessiongrid.demo.DemoFarm [--port 8080] [--nodes 3] [--mode sticky|round-robin] [--jetty] [--work DIR]
 * </pre>
 *
 * <p>Needs the system properties {@code sessiongrid.demo.classes} (this module's classes, which hold the
 * sample webapp) and {@code sessiongrid.demo.classpathFile} (the dependency class path, one line, as
 * {@code dependency:build-classpath} writes it); the {@code demo} Maven profile sets both.
 */
public final class DemoFarm {

    private static final Logger LOG = LoggerFactory.getLogger(DemoFarm.class);
    /** Printed once everything serves; tests wait for it. */
    public static final String READY_LINE = "SessionGrid demo farm is ready: open ";
    // Strong reference: java.util.logging forgets levels of loggers nobody holds.
    private static final java.util.logging.Logger JETTY_LOG = java.util.logging.Logger.getLogger("org.eclipse.jetty");

    private DemoFarm() {
    }

    public static void main(String[] args) throws Exception {
        // Maven passes "${demo.args}" as one argument: split it like a shell would.
        List<String> a = new ArrayList<>();
        for (String s : args) {
            a.addAll(Arrays.stream(s.trim().split("\\s+")).filter(x -> !x.isEmpty()).toList());
        }
        int port = 8080;
        int nodes = 3;
        Farm.Mode mode = Farm.Mode.STICKY;
        Farm.Container container = Farm.Container.TOMCAT;
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "sessiongrid-demo-" + ProcessHandle.current().pid());
        for (int i = 0; i < a.size(); i++) {
            String opt = a.get(i);
            switch (opt) {
                case "--port" -> port = Integer.parseInt(value(a, ++i, opt));
                case "--nodes" -> nodes = Integer.parseInt(value(a, ++i, opt));
                case "--mode" -> mode = Farm.Mode.parse(value(a, ++i, opt));
                case "--work" -> work = Path.of(value(a, ++i, opt));
                case "--jetty" -> container = Farm.Container.JETTY;
                case "--help", "-h" -> {
                    System.out.println("usage: DemoFarm [--port 8080] [--nodes 3] [--mode sticky|round-robin] [--jetty]"
                            + " [--work DIR]\n  --jetty: Jetty 12 nodes instead of Tomcat 11 nodes"
                            + " (through Maven: -Ddemo.args=--jetty)");
                    return;
                }
                default -> fail("unknown option '" + opt + "'; try --help");
            }
        }
        if (nodes < 1 || nodes > Farm.MAX_NODES) {
            fail("--nodes must be between 1 and " + Farm.MAX_NODES);
        }
        JETTY_LOG.setLevel(Level.WARNING);

        Path classes = Path.of(required("sessiongrid.demo.classes"));
        Path cpFile = Path.of(required("sessiongrid.demo.classpathFile"));
        if (!Files.isRegularFile(cpFile)) {
            fail("class path file " + cpFile + " is missing: run the demo through Maven (mvn -Pdemo ... verify), "
                    + "which writes it");
        }
        List<String> nodeCp = nodeClasspath(container, classes, Files.readString(cpFile).trim());

        Farm farm = new Farm(work, container, nodeCp, classes.resolve("sample-webapp").toString(), mode);
        Server server = new Server();
        CountDownLatch stopped = new CountDownLatch(1);
        // Ctrl-C (or SIGTERM): stop the balancer, then every node by PID.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping the demo farm ...");
            try {
                server.stop();
            } catch (Exception e) {
                LOG.warn("balancer did not stop cleanly: {}", e.toString());
            }
            farm.close();
            stopped.countDown();
            System.out.println("demo farm stopped");
        }, "demo-farm-shutdown"));

        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1"); // loopback only: the demo's kill/start controls must not be reachable from outside
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler ctx = new ServletContextHandler("/");
        ctx.addServlet(new ServletHolder("demo", new ControlServlet(farm, port)), "/demo/*");
        ctx.addServlet(new ServletHolder("balancer", new BalancerServlet(farm)), "/*");
        ctx.addServlet(new ServletHolder("home", new jakarta.servlet.http.HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
                    throws java.io.IOException {
                resp.sendRedirect("/app/");
            }
        }), "");
        server.setHandler(ctx);
        try {
            server.start();
        } catch (java.io.IOException e) {
            farm.close();
            fail("cannot listen on 127.0.0.1:" + port + " (" + e.getMessage() + "): stop what uses it, or pick another "
                    + "port with --port N (through Maven: -Ddemo.args=\"--port N\")");
        }
        port = connector.getLocalPort();

        PrintStream out = System.out;
        out.println("SessionGrid demo farm: starting " + nodes + " " + container.label() + " nodes (logs in " + work
                + ") ...");
        List<Farm.Node> started = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            started.add(farm.start("n" + i));
        }
        for (Farm.Node n : started) {
            farm.awaitReady(n, 120_000);
        }
        awaitSettled(new ControlServlet(farm, port), nodes);
        out.println();
        out.println(READY_LINE + "http://localhost:" + port + "/app/");
        out.println();
        out.println("  the sample page    http://localhost:" + port + "/app/");
        out.println("  status (JSON)      http://localhost:" + port + "/demo/status    (table: /demo/status.txt,"
                + " or bin/sessiongrid status)");
        out.println("  balancer mode      " + farm.mode().label() + "  (switch on the page)");
        out.println("  nodes              " + container.label() + (container == Farm.Container.TOMCAT
                ? "  (Jetty nodes: -Ddemo.args=--jetty)" : ""));
        out.println();
        out.println("Try: press \"+1\" a few times and note which node served you; press \"kill -9\" on that node:");
        out.println("     the next \"+1\" is served by another node and the counter carries on. \"start\" brings the");
        out.println("     node back, \"add node\" adds one; watch the segments move in the picture.");
        out.println("Ctrl-C stops every process of the demo.");
        stopped.await();
    }

    /**
     * Waits (60 s at most) until every node installed the same topology of all nodes and no rebalance
     * runs, so the first sessions land on the primaries they will keep.
     */
    @SuppressWarnings("unchecked")
    private static void awaitSettled(ControlServlet control, int nodes) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            java.util.Map<String, Object> s = control.status(null);
            long topology = (Long) s.get("topologyId");
            boolean same = ((List<Object>) s.get("nodes")).stream().allMatch(n -> {
                Object g = ((java.util.Map<String, Object>) n).get("grid");
                return g instanceof java.util.Map<?, ?> m && Long.valueOf(topology).equals(m.get("topologyId"));
            });
            if (same && ((List<?>) s.get("members")).size() == nodes && Boolean.FALSE.equals(s.get("rebalanceInProgress"))) {
                return;
            }
            Thread.sleep(200);
        }
        LOG.warn("the grid has not settled within 60 s; the demo runs anyway (see the node logs)");
    }

    /**
     * The nodes' class path: this module's classes and its dependencies without the other container.
     * Tomcat nodes get no Jetty, no SessionGrid Jetty store and not the servlet API jar Jetty brings
     * (Tomcat has its own servlet API; two copies would clash); Jetty nodes get no Tomcat and no
     * SessionGrid Tomcat manager.
     */
    static List<String> nodeClasspath(Farm.Container container, Path classes, String dependencyClasspath) {
        List<String> cp = new ArrayList<>();
        cp.add(classes.toString());
        for (String e : dependencyClasspath.split(File.pathSeparator)) {
            String file = Path.of(e).getFileName().toString();
            boolean jettyOnly = file.startsWith("jetty-") || file.startsWith("jakarta.servlet-api")
                    || file.startsWith("sessiongrid-jetty");
            boolean tomcatOnly = file.startsWith("tomcat-") || file.startsWith("sessiongrid-tomcat");
            if (container == Farm.Container.TOMCAT ? !jettyOnly : !tomcatOnly) {
                cp.add(e);
            }
        }
        return cp;
    }

    private static String value(List<String> a, int i, String opt) {
        if (i >= a.size()) {
            fail("option " + opt + " needs a value");
        }
        return a.get(i);
    }

    private static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            fail("system property " + key + " is not set: start the demo with Maven (see README: mvn ... -Pdemo verify)");
        }
        return v;
    }

    private static void fail(String message) {
        System.err.println("sessiongrid demo: " + message);
        System.exit(2);
    }
}
