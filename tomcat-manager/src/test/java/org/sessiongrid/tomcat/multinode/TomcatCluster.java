package org.sessiongrid.tomcat.multinode;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.sessiongrid.testsupport.files.WorkDirs;
import org.sessiongrid.testsupport.net.FreePorts;
import org.sessiongrid.testsupport.node.NodeMain;
import org.sessiongrid.testsupport.node.NodeSlot;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;
import org.sessiongrid.tomcat.testapp.TestWebapp;
import org.sessiongrid.tomcat.testapp.TomcatNode;

/**
 * Several Tomcat nodes ({@link org.sessiongrid.tomcat.testapp.TomcatNode}) in child JVMs on 127.0.0.1,
 * forming one SessionGrid cluster over the {@code tcp} stack, launched and reaped by test-support's
 * launcher: every process is killed by PID when the cluster is closed (and by a shutdown hook if the test
 * JVM dies first).
 */
final class TomcatCluster implements AutoCloseable {

    /**
     * A Tomcat line the manager is tested against: 11 and 10.1 with this module's jar, 9 with the
     * javax drop-in jar made from it (module tomcat9-dropin, which runs these tests from this module's
     * test jar).
     */
    enum Line {
        TOMCAT_11("sessiongrid.test.tomcat11Lib"), TOMCAT_10("sessiongrid.test.tomcat10Lib"),
        TOMCAT_9("sessiongrid.test.tomcat9Lib");

        final String libProperty;

        Line(String libProperty) {
            this.libProperty = libProperty;
        }

        /**
         * The line of the tests that run on one line only (rolling restart, zombie write):
         * {@code -Dsessiongrid.test.line}, Tomcat 11 unless set.
         */
        static Line selected() {
            return valueOf(System.getProperty("sessiongrid.test.line", TOMCAT_11.name()));
        }
    }

    /** One node: its slot (name, ports, log), its jvmRoute (the slot's name) and its process. */
    final class Node {
        final NodeSlot slot;
        final String route;
        final Path events;
        /** The current start's JVM (a restarted node appends to the same log). */
        ChildProcess process;

        Node(NodeSlot slot) {
            this.slot = slot;
            this.route = slot.name();
            this.events = work.resolve(route + "-events.log");
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        String url(String path) {
            return slot.url("/app" + path);
        }

        /** kill -9. */
        void kill() throws InterruptedException {
            process.kill();
        }

        /** SIGTERM: Tomcat stops gracefully. */
        void stop() throws InterruptedException {
            if (!process.stop(Duration.ofSeconds(60))) {
                throw new AssertionError(route + " did not stop within 60 s after SIGTERM; see " + slot.log());
            }
        }

        /** SIGSTOP: the JVM freezes with its sockets open, as in a long GC pause or a frozen VM. */
        void freeze() throws IOException, InterruptedException {
            signal("STOP");
        }

        /** SIGCONT after {@link #freeze}. */
        void thaw() throws IOException, InterruptedException {
            signal("CONT");
        }

        private void signal(String name) throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new AssertionError("kill -" + name + " " + process.pid() + " (" + route + ") failed");
            }
        }

        List<String> events() throws IOException {
            return Files.exists(events) ? Files.readAllLines(events) : List.of();
        }
    }

    final List<Node> nodes = new ArrayList<>();
    private final Path work;
    private final Line line;
    /** How the nodes were launched, for {@link #restart}. */
    private Path webapp;
    private String hosts;
    private String clusterName;
    private Map<String, String> extraProps;
    private final Reaper reaper = new Reaper("tomcat-cluster-reaper");

    private TomcatCluster(Line line, Path work) {
        this.line = line;
        this.work = work;
    }

    /**
     * Starts {@code size} nodes named n1..nN and waits until all print READY.
     *
     * @param extraProps system properties for every node (e.g. sg.numOwners)
     */
    static TomcatCluster start(Line line, String name, int size, Map<String, String> extraProps) throws Exception {
        Path work = Path.of(System.getProperty("sessiongrid.test.work"), name + "-" + line.name().toLowerCase());
        WorkDirs.fresh(work);
        TomcatCluster c = new TomcatCluster(line, work);
        try {
            Path webapp = TestWebapp.prepare(work.resolve("webapp"), null);
            FreePorts ports = new FreePorts();
            for (int i = 1; i <= size; i++) {
                c.nodes.add(c.new Node(NodeSlot.of("n" + i, ports, work)));
            }
            c.webapp = webapp;
            c.hosts = NodeSlot.initialHosts(c.nodes.stream().map(n -> n.slot).toList());
            c.clusterName = name;
            c.extraProps = extraProps;
            for (Node n : c.nodes) {
                c.launch(n, webapp, c.hosts, name, extraProps);
            }
            for (Node n : c.nodes) {
                c.awaitReady(n);
            }
            c.awaitStableTopology();
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** Starts a stopped or killed node again (same route and ports) and waits until the topology settles. */
    void restart(Node n) throws Exception {
        if (n.alive()) {
            throw new IllegalStateException(n.route + " is running");
        }
        launch(n, webapp, hosts, clusterName, extraProps);
        awaitReady(n);
        awaitStableTopology();
    }

    private void launch(Node n, Path webapp, String hosts, String clusterName, Map<String, String> extraProps)
            throws IOException {
        List<String> entries = new ArrayList<>(List.of(System.getProperty("sessiongrid.test.classes"),
                System.getProperty("sessiongrid.test.testClasses"), JavaCommand.locationOf(NodeMain.class)));
        // The manager's own dependencies (core, JGroups, SLF4J); a drop-in jar carries them inside and
        // its run sets no nodeLib.
        String nodeLib = System.getProperty("sessiongrid.test.nodeLib");
        if (nodeLib != null) {
            entries.add(nodeLib + File.separator + "*");
        }
        entries.add(System.getProperty(line.libProperty) + File.separator + "*");
        String cp = JavaCommand.classpath(entries);
        JavaCommand cmd = JavaCommand.of(TomcatNode.class)
                .options("-Xmx256m", "-XX:+UseSerialGC", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                        "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                        "-Djava.net.preferIPv4Stack=true")
                .classpath(cp)
                .property("java.util.logging.config.file", System.getProperty("java.util.logging.config.file"))
                .property("sg.node.route", n.route).property("sg.node.port", n.slot.httpPort())
                .property("sg.node.webapp", webapp).property("sg.node.work", work).property("sg.events", n.events)
                .property("sg.clusterName", clusterName)
                .property("sessiongrid.bindAddress", "127.0.0.1").property("sessiongrid.bindPort", n.slot.gridPort())
                .property("sessiongrid.portRange", 0).property("sessiongrid.initialHosts", hosts)
                .properties(extraProps);
        n.process = reaper.track(ChildProcess.start(n.route, cmd.toList(), n.slot.log()));
    }

    private void awaitReady(Node n) throws Exception {
        n.process.awaitReady(Duration.ofSeconds(90));
    }

    /**
     * Waits until every node reports the same topology with no rebalance running, so that scenarios
     * start from settled ownership (a session's primary may legitimately move during a rebalance).
     */
    void awaitStableTopology() throws Exception {
        WebUser probe = new WebUser("probe");
        long deadline = System.nanoTime() + 60_000_000_000L;
        String last = "";
        while (System.nanoTime() < deadline) {
            java.util.Set<String> topologies = new java.util.HashSet<>();
            boolean stable = true;
            StringBuilder seen = new StringBuilder();
            for (Node n : alive()) {
                String body = probe.get(n.url("/stats")).body();
                seen.append(n.route).append(": ").append(body).append("; ");
                stable &= body.contains(" stable=true ");
                int i = body.indexOf(" topology=");
                topologies.add(i < 0 ? body : body.substring(i, body.indexOf(' ', i + 1)));
            }
            last = seen.toString();
            if (stable && topologies.size() == 1) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("cluster topology not stable within 60 s: " + last);
    }

    static String tail(String s) {
        return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
    }

    List<Node> alive() {
        return nodes.stream().filter(Node::alive).toList();
    }

    Node node(String route) {
        return nodes.stream().filter(n -> n.route.equals(route)).findFirst().orElse(null);
    }

    @Override
    public void close() {
        reaper.close();
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
