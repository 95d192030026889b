package org.sessiongrid.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.sessiongrid.demo.node.NodeProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node processes of the demo farm: starts, kills (kill -9), restarts and adds Tomcat (or Jetty)
 * nodes, each a child JVM on 127.0.0.1, and picks the node a request goes to. Every process it starts
 * is stopped by its PID in {@link #close()}.
 */
public final class Farm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Farm.class);

    /** Slots prepared at start: every node lists all of them as initial hosts, so added nodes join too. */
    public static final int MAX_NODES = 6;

    /** Where a request goes. */
    public enum Mode {
        /**
         * Follow the route suffix of the session id: the Tomcat manager keeps it naming the primary;
         * Jetty names the node that served the session last.
         */
        STICKY,
        /** Every request to the next node, whatever its session: the grid serves it from any node. */
        ROUND_ROBIN;

        public static Mode parse(String s) {
            return switch (s.trim().toLowerCase()) {
                case "sticky" -> STICKY;
                case "round-robin", "roundrobin", "rr" -> ROUND_ROBIN;
                default -> throw new IllegalArgumentException("unknown balancer mode '" + s
                        + "': use sticky or round-robin");
            };
        }

        public String label() {
            return this == STICKY ? "sticky" : "round-robin";
        }
    }

    /** The container every node of the farm runs (one kind per farm: they share one cluster). */
    public enum Container {
        TOMCAT("Tomcat", "org.sessiongrid.demo.node.DemoNode"),
        JETTY("Jetty", "org.sessiongrid.demo.node.JettyDemoNode");

        private final String label;
        private final String mainClass;

        Container(String label, String mainClass) {
            this.label = label;
            this.mainClass = mainClass;
        }

        public String label() {
            return label;
        }
    }

    /** A node's life as the page shows it. */
    public enum State { NOT_STARTED, STARTING, RUNNING, STOPPING, KILLED, EXITED }

    /** One node slot: a name, fixed ports, and its current process (if any). */
    public final class Node {
        public final String name;
        public final int httpPort;
        public final int gridPort;
        public final Path log;
        private volatile Process process;
        private volatile State state = State.NOT_STARTED;
        private volatile CompletableFuture<Void> ready = new CompletableFuture<>();

        Node(String name, int httpPort, int gridPort) {
            this.name = name;
            this.httpPort = httpPort;
            this.gridPort = gridPort;
            this.log = work.resolve(name + ".log");
        }

        public State state() {
            Process p = process;
            if (state == State.RUNNING && (p == null || !p.isAlive())) {
                return State.EXITED;
            }
            return state;
        }

        public long pid() {
            Process p = process;
            return p == null ? -1 : p.pid();
        }

        public boolean serving() {
            Process p = process;
            return state == State.RUNNING && p != null && p.isAlive();
        }

        public String baseUrl() {
            return "http://127.0.0.1:" + httpPort;
        }
    }

    private final Path work;
    private final Container container;
    private final List<String> nodeClasspath;
    private final String webapp;
    private final List<Node> slots = new ArrayList<>();
    private final AtomicInteger roundRobin = new AtomicInteger();
    private volatile Mode mode;
    private volatile boolean closing;

    /**
     * @param nodeClasspath the node JVMs' class path, for {@code container}'s node class (it must not
     *                      hold the other container: both bring a servlet API)
     */
    public Farm(Path work, Container container, List<String> nodeClasspath, String webapp, Mode mode) throws IOException {
        this.work = Files.createDirectories(work);
        this.container = container;
        this.nodeClasspath = nodeClasspath;
        this.webapp = webapp;
        this.mode = mode;
        Set<Integer> used = new HashSet<>();
        for (int i = 1; i <= MAX_NODES; i++) {
            slots.add(new Node("n" + i, freePort(used), freeGridPort(used)));
        }
    }

    public Mode mode() {
        return mode;
    }

    public Container container() {
        return container;
    }

    public void mode(Mode m) {
        mode = m;
        LOG.info("balancer mode: {}", m.label());
    }

    /** Every slot that was started at least once, in name order. */
    public List<Node> nodes() {
        return slots.stream().filter(n -> n.state != State.NOT_STARTED).toList();
    }

    public Node node(String name) {
        return slots.stream().filter(n -> n.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node named '" + name + "' (nodes are n1..n"
                        + MAX_NODES + ")"));
    }

    /** Starts the node of this slot (again); returns at once; {@link #awaitReady} waits for it. */
    public synchronized Node start(String name) throws IOException {
        Node n = node(name);
        if (closing) {
            throw new IllegalStateException("the farm is stopping");
        }
        Process p = n.process;
        if (p != null && p.isAlive()) {
            throw new IllegalStateException("node " + name + " is already running (pid " + p.pid() + ")");
        }
        launch(n);
        return n;
    }

    /** Starts the next slot that never ran. */
    public synchronized Node add() throws IOException {
        for (Node n : slots) {
            if (n.state == State.NOT_STARTED) {
                return start(n.name);
            }
        }
        throw new IllegalStateException("the demo farm has room for " + MAX_NODES + " nodes; restart a killed one instead");
    }

    /** kill -9 of the node's process (by PID); returns once it is gone. */
    public Node kill(String name) throws InterruptedException {
        Node n = node(name);
        Process p = n.process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("node " + name + " is not running");
        }
        n.state = State.KILLED;
        ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + name + " (pid " + p.pid() + ") survived kill -9 for 10 s");
        }
        LOG.info("killed {} (pid {}) with kill -9", name, p.pid());
        return n;
    }

    /** Waits until the node printed READY; fails with the tail of its log if it died or took too long. */
    public void awaitReady(Node n, long timeoutMillis) throws Exception {
        try {
            n.ready.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("node " + n.name + " did not start within " + timeoutMillis + " ms; its log "
                    + n.log + " ends with:\n" + tail(n.log));
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("node " + n.name + " failed to start: " + e.getCause().getMessage()
                    + "; its log " + n.log + " ends with:\n" + tail(n.log));
        }
    }

    /**
     * The node for a request whose session id carries {@code route} (or null): in sticky mode the node
     * the route names while it serves, else the next serving node in turn. Null when none serves.
     */
    public Node pick(String route) {
        List<Node> live = slots.stream().filter(Node::serving).toList();
        if (live.isEmpty()) {
            return null;
        }
        if (mode == Mode.STICKY && route != null) {
            for (Node n : live) {
                if (n.name.equals(route)) {
                    return n;
                }
            }
        }
        return live.get(Math.floorMod(roundRobin.getAndIncrement(), live.size()));
    }

    private void launch(Node n) throws IOException {
        String hosts = slots.stream().map(s -> "127.0.0.1[" + s.gridPort + "]").collect(Collectors.joining(","));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Small heaps, serial GC and C1 only: six nodes must fit a 2-core laptop.
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                // Lets Tomcat's leak detection run without warnings when the webapp stops.
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                "-cp", String.join(java.io.File.pathSeparator, nodeClasspath),
                "-Dsg.node.name=" + n.name, "-Dsg.node.port=" + n.httpPort, "-Dsg.node.webapp=" + webapp,
                "-Dsg.node.work=" + work, "-Dsg.parent.pid=" + ProcessHandle.current().pid(),
                "-Dsessiongrid.bindAddress=127.0.0.1", "-Dsessiongrid.bindPort=" + n.gridPort,
                "-Dsessiongrid.portRange=0", "-Dsessiongrid.initialHosts=" + hosts,
                // A killed node is seen at once (FD_SOCK2); a hung one within 3 s.
                "-Dsessiongrid.failureDetectionTimeout=3000",
                // Ctrl-C stops the whole farm: do not wait long to hand segments to nodes also stopping.
                "-Dsessiongrid.leaveTimeout=5000",
                container.mainClass));
        Files.writeString(n.log, "---- starting " + n.name + ": " + String.join(" ", cmd) + System.lineSeparator(),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long offset = Files.size(n.log);
        // Straight to the file, not through a pipe: the node's last lines (its graceful stop) are kept
        // even when this launcher is already gone.
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile()));
        CompletableFuture<Void> ready = new CompletableFuture<>();
        n.ready = ready;
        n.state = State.STARTING;
        Process p = pb.start();
        n.process = p;
        LOG.info("starting {} node {} (pid {}) on http://127.0.0.1:{}, grid port {}", container.label(), n.name, p.pid(),
                n.httpPort, n.gridPort);
        Thread watcher = new Thread(() -> watch(n, p, ready, offset), "demo-watch-" + n.name);
        watcher.setDaemon(true);
        watcher.start();
        p.onExit().thenRun(() -> {
            if (!ready.isDone()) {
                ready.completeExceptionally(new IllegalStateException("exited with status " + p.exitValue()));
            }
            if (n.process == p && n.state != State.KILLED && n.state != State.STOPPING) {
                n.state = State.EXITED;
            }
        });
    }

    /** Follows the node's log from where this launch began until it prints READY (or FAILED, or exits). */
    private void watch(Node n, Process p, CompletableFuture<Void> ready, long offset) {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(n.log.toFile(), "r")) {
            f.seek(offset);
            StringBuilder line = new StringBuilder();
            while (!ready.isDone()) {
                int c = f.read();
                if (c < 0) {
                    if (!p.isAlive()) {
                        return; // onExit completes the future
                    }
                    Thread.sleep(50);
                } else if (c == '\n') {
                    String l = line.toString();
                    line.setLength(0);
                    if (NodeProcess.isReady(l, n.name)) {
                        if (n.process == p && n.state == State.STARTING) {
                            n.state = State.RUNNING;
                        }
                        LOG.info("{} is serving (pid {})", n.name, p.pid());
                        ready.complete(null);
                    } else if (l.startsWith(NodeProcess.FAILED)) {
                        ready.completeExceptionally(new IllegalStateException(l));
                    }
                } else {
                    line.append((char) c);
                }
            }
        } catch (IOException e) {
            ready.completeExceptionally(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every node process by PID: SIGTERM, then kill -9 after a grace period. */
    @Override
    public void close() {
        closing = true;
        List<Process> running = new ArrayList<>();
        for (Node n : slots) {
            Process p = n.process;
            if (p != null && p.isAlive()) {
                n.state = State.STOPPING;
                running.add(p);
                p.destroy();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Process p : running) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            return String.join(System.lineSeparator(), lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort(Set<Integer> used) throws IOException {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (used.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1");
    }

    /** A JGroups port p with p+100..p+103 (where FD_SOCK2 listens) free as well. */
    static int freeGridPort(Set<Integer> used) {
        for (int i = 0; i < 500; i++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            int[] range = {p, p + 100, p + 101, p + 102, p + 103};
            if (Arrays.stream(range).allMatch(q -> !used.contains(q) && bindable(q))) {
                Arrays.stream(range).forEach(used::add);
                return p;
            }
        }
        throw new IllegalStateException("no free port range for JGroups on 127.0.0.1 between 20000 and 40000");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return s.isBound();
        } catch (IOException e) {
            return false;
        }
    }
}
