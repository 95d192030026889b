package org.sessiongrid.tomcat.multinode;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.sessiongrid.tomcat.testapp.TestWebapp;

/**
 * Several Tomcat nodes ({@link org.sessiongrid.tomcat.testapp.TomcatNode}) in child JVMs on 127.0.0.1,
 * forming one SessionGrid cluster over the {@code tcp} stack. Every process is killed by PID when the
 * cluster is closed (and by a shutdown hook if the test JVM dies first).
 */
final class TomcatCluster implements AutoCloseable {

    /** A Tomcat line the same jar is tested against. */
    enum Line {
        TOMCAT_11("sessiongrid.test.tomcat11Lib"), TOMCAT_10("sessiongrid.test.tomcat10Lib");

        final String libProperty;

        Line(String libProperty) {
            this.libProperty = libProperty;
        }
    }

    /** One node: its process, HTTP port and jvmRoute. */
    final class Node {
        final String route;
        final int httpPort;
        final int gridPort;
        final Path log;
        final Path events;
        Process process;
        /** Length of the log when the current process was launched (a restarted node appends to it). */
        long logStart;

        Node(String route, int httpPort, int gridPort) {
            this.route = route;
            this.httpPort = httpPort;
            this.gridPort = gridPort;
            this.log = work.resolve(route + ".log");
            this.events = work.resolve(route + "-events.log");
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        String url(String path) {
            return "http://127.0.0.1:" + httpPort + "/app" + path;
        }

        /** kill -9. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        /** SIGTERM: Tomcat stops gracefully. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(route + " did not stop within 60 s after SIGTERM; see " + log);
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
    private final Thread reaper = new Thread(this::destroyAll, "tomcat-cluster-reaper");

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
        deleteTree(work);
        Files.createDirectories(work);
        TomcatCluster c = new TomcatCluster(line, work);
        Runtime.getRuntime().addShutdownHook(c.reaper);
        try {
            Path webapp = TestWebapp.prepare(work.resolve("webapp"), null);
            List<Integer> used = new ArrayList<>();
            for (int i = 1; i <= size; i++) {
                c.nodes.add(c.new Node("n" + i, freePort(used), freeGridPort(used)));
            }
            StringBuilder hosts = new StringBuilder();
            for (Node n : c.nodes) {
                hosts.append(hosts.length() == 0 ? "" : ",").append("127.0.0.1[").append(n.gridPort).append(']');
            }
            c.webapp = webapp;
            c.hosts = hosts.toString();
            c.clusterName = name;
            c.extraProps = extraProps;
            for (Node n : c.nodes) {
                c.launch(n, webapp, hosts.toString(), name, extraProps);
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
        String sep = File.pathSeparator;
        String cp = System.getProperty("sessiongrid.test.classes") + sep + System.getProperty("sessiongrid.test.testClasses")
                + sep + System.getProperty("sessiongrid.test.nodeLib") + File.separator + "*" + sep
                + System.getProperty(line.libProperty) + File.separator + "*";
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                "-cp", cp,
                "-Djava.util.logging.config.file=" + System.getProperty("java.util.logging.config.file"),
                "-Dsg.node.route=" + n.route, "-Dsg.node.port=" + n.httpPort, "-Dsg.node.webapp=" + webapp,
                "-Dsg.node.work=" + work, "-Dsg.events=" + n.events, "-Dsg.clusterName=" + clusterName,
                "-Dsessiongrid.bindAddress=127.0.0.1", "-Dsessiongrid.bindPort=" + n.gridPort,
                "-Dsessiongrid.portRange=0", "-Dsessiongrid.initialHosts=" + hosts));
        extraProps.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("org.sessiongrid.tomcat.testapp.TomcatNode");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile()));
        n.logStart = Files.exists(n.log) ? Files.size(n.log) : 0;
        n.process = pb.start();
    }

    private void awaitReady(Node n) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            String out = Files.exists(n.log) ? Files.readString(n.log) : "";
            out = out.substring((int) Math.min(n.logStart, out.length())); // this launch's lines only
            if (out.contains("READY " + n.route)) {
                return;
            }
            if (!n.process.isAlive() || out.contains("FAILED")) {
                throw new AssertionError("node " + n.route + " did not start:\n" + tail(out));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("node " + n.route + " not READY within 90 s:\n" + tail(Files.readString(n.log)));
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
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException ignored) {
            // JVM already shutting down: the hook runs anyway
        }
    }

    private void destroyAll() {
        for (Node n : nodes) {
            if (n.process != null) {
                n.process.destroyForcibly();
                try {
                    n.process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static int freePort(List<Integer> used) throws IOException {
        for (int i = 0; i < 200; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int p = s.getLocalPort();
                if (!used.contains(p)) {
                    used.add(p);
                    return p;
                }
            }
        }
        throw new IllegalStateException("no free port");
    }

    /** A JGroups port p with p+100..p+103 (FD_SOCK2) free as well. */
    private static int freeGridPort(List<Integer> used) {
        for (int i = 0; i < 500; i++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            boolean ok = !used.contains(p);
            for (int q : new int[] {p, p + 100, p + 101, p + 102, p + 103}) {
                ok &= !used.contains(q) && bindable(q);
            }
            if (ok) {
                for (int q : new int[] {p, p + 100, p + 101, p + 102, p + 103}) {
                    used.add(q);
                }
                return p;
            }
        }
        throw new IllegalStateException("no free JGroups port range");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return s.isBound();
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.delete(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
