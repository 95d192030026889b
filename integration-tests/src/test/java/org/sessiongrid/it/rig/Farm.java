package org.sessiongrid.it.rig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;

/**
 * Container nodes (Tomcat or Jetty) as separate JVMs, each in its own namespace of a {@link NetRig}, one
 * SessionGrid cluster over the shipped {@code tcp} stack: the node's namespace address as bind address,
 * every node's address in initialHosts. Launched and reaped by test-support's launcher, every process
 * handled by its PID: {@code ip netns exec} execs java, so the PID of the started process is the JVM's
 * (checked at start through /proc).
 */
public final class Farm implements AutoCloseable {

    /** The container a farm runs. */
    public enum Kind {
        TOMCAT("org.sessiongrid.it.node.TomcatFaultNode"), JETTY("org.sessiongrid.it.node.JettyFaultNode");

        final String mainClass;

        Kind(String mainClass) {
            this.mainClass = mainClass;
        }
    }

    public static final int HTTP_PORT = 8080;
    public static final int GRID_PORT = 7800;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /** One node: a slot of the rig and the JVM currently running there. */
    public final class Node {
        public final int slot;
        public final String name;
        public final String address;
        public final Path log;
        public final Path events;
        volatile ChildProcess process;
        volatile boolean paused;
        /** When this slot's JVMs got SIGKILL (epoch ms), for telling calls lost in the documented window. */
        final List<Long> killedAt = new java.util.concurrent.CopyOnWriteArrayList<>();

        Node(int slot) {
            this.slot = slot;
            this.name = "n" + slot;
            this.address = NetRig.address(slot);
            this.log = work.resolve(name + ".log");
            this.events = work.resolve(name + "-events.log");
        }

        public String baseUrl() {
            return "http://" + address + ":" + HTTP_PORT + "/app";
        }

        public boolean alive() {
            ChildProcess p = process;
            return p != null && p.isAlive();
        }

        /** The JVM's process (its PID is the java process itself). */
        public Process process() {
            return process.process();
        }

        public long pid() {
            return process.pid();
        }

        /** Sends SIGKILL without waiting for the process to end (see {@link #kill}). */
        public void sigkill() {
            ChildProcess p = process;
            if (p.isAlive()) {
                killedAt.add(System.currentTimeMillis());
                p.sigkill();
            }
        }

        /** kill -9: no shutdown hook, no graceful leave. */
        public void kill() throws InterruptedException {
            ChildProcess p = process;
            if (p.isAlive()) {
                killedAt.add(System.currentTimeMillis());
            }
            paused = false;
            p.kill();
        }

        /** SIGTERM: the container stops gracefully and the grid hands this node's share over. */
        public void stop() throws InterruptedException {
            if (!process.stop(Duration.ofSeconds(90))) {
                throw new AssertionError(name + " did not stop within 90 s after SIGTERM; see " + log);
            }
        }

        /** SIGSTOP: the JVM freezes (as in a long GC pause or a hung VM); sockets stay open. */
        public void pause() {
            Cmd.check("kill", "-STOP", String.valueOf(pid()));
            paused = true;
        }

        /** SIGCONT. */
        public void resume() {
            Cmd.check("kill", "-CONT", String.valueOf(pid()));
            paused = false;
        }

        /** Starts a new JVM in this slot (after a kill or stop) and waits until it serves. */
        public void restart() throws Exception {
            if (alive()) {
                throw new IllegalStateException(name + " is still running (pid " + pid() + ")");
            }
            launch(this);
            awaitServing(this);
        }

        public List<String> events() {
            try {
                return Files.exists(events) ? Files.readAllLines(events) : List.of();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** This member's grid status (see CounterServlet#status), or an empty map if it does not answer. */
        public Map<String, String> status() {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/status"))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                Map<String, String> m = new LinkedHashMap<>();
                if (r.statusCode() == 200) {
                    for (String line : r.body().split("\n")) {
                        int eq = line.indexOf('=');
                        if (eq > 0) {
                            m.put(line.substring(0, eq), line.substring(eq + 1));
                        }
                    }
                }
                return m;
            } catch (IOException e) {
                return Map.of();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Map.of();
            }
        }

        public Set<String> members() {
            String m = status().get("Members");
            return m == null || m.isBlank() ? Set.of() : new TreeSet<>(List.of(m.split(",")));
        }

        @Override
        public String toString() {
            return name + "@" + address + (process == null ? "" : " pid " + process.pid());
        }
    }

    private final Kind kind;
    private final NetRig rig;
    private final Path work;
    private final Map<String, String> settings;
    private final List<Node> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Reaper reaper = new Reaper("farm-reaper");
    private final Map<Integer, List<String>> extraJvmArgs = new HashMap<>();

    private Farm(Kind kind, NetRig rig, Path work, Map<String, String> settings) {
        this.kind = kind;
        this.rig = rig;
        this.work = work;
        this.settings = settings;
    }

    /**
     * Starts {@code size} nodes in slots 1..size of the rig and waits until every one serves and sees all
     * of them as members.
     *
     * @param settings grid settings ({@code failureDetectionTimeout}, {@code partitionPolicy}, ...) for every
     *        node, passed as {@code sessiongrid.<name>} system properties
     */
    public static Farm start(Kind kind, NetRig rig, Path work, int size, Map<String, String> settings) throws Exception {
        Files.createDirectories(work);
        Farm f = new Farm(kind, rig, work, settings);
        try {
            for (int i = 1; i <= size; i++) {
                f.nodes.add(f.new Node(i));
            }
            for (Node n : f.nodes) {
                f.launch(n);
            }
            for (Node n : f.nodes) {
                f.awaitServing(n);
            }
            f.awaitMembers(f.nodes, START_TIMEOUT);
            return f;
        } catch (Exception | Error e) {
            f.close();
            throw e;
        }
    }

    public Kind kind() {
        return kind;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Node node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name));
    }

    public List<Node> alive() {
        return nodes.stream().filter(Node::alive).toList();
    }

    /** JVM arguments for one slot's next start (e.g. a stack file with JGroups' DELAY). */
    public void jvmArgs(int slot, List<String> args) {
        extraJvmArgs.put(slot, args);
    }

    /** A new node in a new slot of the rig (a join); waits until it serves, not until it is a member. */
    public Node addNode() throws Exception {
        int slot = rig.addSlot();
        Node n = new Node(slot);
        nodes.add(n);
        launch(n);
        awaitServing(n);
        return n;
    }

    private String initialHosts() {
        // Every slot the farm may use: nodes added later are found by the existing ones too.
        return nodes.stream().map(n -> n.address + "[" + GRID_PORT + "]").collect(Collectors.joining(","));
    }

    /**
     * Sessions whose expiry a node began to announce (its {@code org.sessiongrid.expiry.announcements} DEBUG
     * line) at most {@code window} before that node got SIGKILL: the one place where the grid documents that
     * a listener call is lost (recorded, and the member died before making it). Had the announcement not
     * been recorded, the session's primary would have announced and called it later.
     */
    public Map<String, String> announcedRightBeforeAKill(Duration window) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        java.time.LocalDate today = java.time.LocalDate.now();
        java.time.ZoneId zone = java.time.ZoneId.systemDefault();
        for (Node n : nodes) {
            if (n.killedAt.isEmpty() || !Files.exists(n.log)) {
                continue;
            }
            for (String line : Files.readAllLines(n.log)) {
                java.util.regex.Matcher m = ANNOUNCED.matcher(line);
                if (!m.find()) {
                    continue;
                }
                long at = java.time.LocalTime.parse(m.group(1)).atDate(today).atZone(zone).toInstant().toEpochMilli();
                if (at > System.currentTimeMillis()) {
                    at -= Duration.ofDays(1).toMillis(); // logged before midnight
                }
                for (long k : n.killedAt) {
                    if (k >= at && k - at <= window.toMillis()) {
                        out.put(m.group(2), n.name + " killed " + (k - at) + " ms after it began to announce");
                    }
                }
            }
        }
        return out;
    }

    /** SIGKILLs sent so far to the farm's nodes. */
    public int kills() {
        return nodes.stream().mapToInt(n -> n.killedAt.size()).sum();
    }

    private static final java.util.regex.Pattern ANNOUNCED = java.util.regex.Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*org\\.sessiongrid\\.expiry\\.announcements - announcing [^#]*#([^\\s:]+)");

    /**
     * The farm's cluster secret, random per farm, in a file only this user reads: the nodes listen on
     * namespace addresses (10.x), where a member without a secret refuses to start (protected mode), and
     * the fault matrix runs the grid as a production farm would, every message sealed.
     */
    private Path clusterSecretFile() throws IOException {
        Path file = work.resolve("cluster-secret").toAbsolutePath();
        if (!java.nio.file.Files.exists(file)) {
            byte[] secret = new byte[32];
            new java.security.SecureRandom().nextBytes(secret);
            java.nio.file.Files.writeString(file, java.util.Base64.getEncoder().encodeToString(secret) + "\n");
            java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        return file;
    }

    private void launch(Node n) throws IOException {
        JavaCommand cmd = JavaCommand.of(kind.mainClass).prefix("ip", "netns", "exec", NetRig.ns(n.slot))
                .options("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
                        "-Djava.net.preferIPv4Stack=true")
                .classpath(NodeClasspath.of(kind))
                .property("fault.node", n.name).property("fault.address", n.address).property("fault.httpPort", HTTP_PORT)
                .property("fault.work", work.toAbsolutePath()).property("fault.events", n.events.toAbsolutePath())
                .property("sessiongrid.clusterName", "faults").property("sessiongrid.stack", "tcp")
                .property("sessiongrid.nodeName", n.name)
                .property("sessiongrid.bindAddress", n.address).property("sessiongrid.bindPort", GRID_PORT)
                .property("sessiongrid.portRange", 0).property("sessiongrid.initialHosts", initialHosts())
                .property("sessiongrid.clusterSecretFile", clusterSecretFile())
                .property("org.slf4j.simpleLogger.defaultLogLevel", "warn")
                .property("org.slf4j.simpleLogger.log.org.sessiongrid", "info")
                // A line per announced expiry: a node killed between one and its listener call is the
                // documented lost-call window, which the checker tells from a call never made.
                .property("org.slf4j.simpleLogger.log.org.sessiongrid.expiry.announcements", "debug")
                // How a starting node found (or did not find) the others: a handful of lines per start.
                .property("org.slf4j.simpleLogger.log.org.jgroups.protocols.pbcast.GMS", "debug")
                .property("org.slf4j.simpleLogger.log.org.jgroups.protocols.TCPPING", "debug")
                // Who suspected whom, and why (a few lines per suspicion): views that change after a heal.
                .property("org.slf4j.simpleLogger.log.org.jgroups.protocols.FD_SOCK2", "debug")
                .property("org.slf4j.simpleLogger.log.org.jgroups.protocols.FD_ALL3", "debug")
                .property("org.slf4j.simpleLogger.log.org.jgroups.protocols.VERIFY_SUSPECT2", "debug")
                .property("org.slf4j.simpleLogger.showDateTime", true)
                .property("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        settings.forEach((k, v) -> cmd.property("sessiongrid." + k, v));
        // A slot's own arguments come last: they override the settings (a stack file with JGroups' DELAY).
        cmd.lastOptions(extraJvmArgs.getOrDefault(n.slot, List.of()));
        Files.writeString(n.log, "=== start " + java.time.LocalTime.now() + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        n.process = reaper.track(ChildProcess.start(n.name, cmd.toList(), n.log));
        n.paused = false;
    }

    private void awaitServing(Node n) throws InterruptedException {
        await(n.name + " serving (log " + n.log + ")", START_TIMEOUT, () -> {
            if (!n.alive()) {
                throw new AssertionError(n.name + " exited with " + n.process().exitValue() + ":\n" + tail(n.log));
            }
            return !n.status().isEmpty();
        });
        // ip netns exec execs java: the PID we hold is the JVM's, so kill and SIGSTOP reach the node itself.
        try {
            Path exe = Files.readSymbolicLink(Path.of("/proc", String.valueOf(n.pid()), "exe"));
            if (!exe.getFileName().toString().equals("java")) {
                throw new IllegalStateException("pid " + n.pid() + " of " + n.name + " is " + exe + ", not the JVM");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot check the executable of pid " + n.pid(), e);
        }
    }

    /**
     * Waits until every node in {@code expected} answers with exactly {@code expected} as members and no
     * rebalance in progress: the cluster is whole and quiet.
     */
    public void awaitMembers(Collection<Node> expected, Duration timeout) throws InterruptedException {
        Set<String> names = expected.stream().map(n -> n.name).collect(Collectors.toCollection(TreeSet::new));
        await("members " + names + " on every one of them, no rebalance", timeout, () -> {
            for (Node n : expected) {
                Map<String, String> s = n.status();
                String m = s.get("Members");
                if (m == null || !new TreeSet<>(List.of(m.split(","))).equals(names)
                        || "true".equals(s.get("RebalanceInProgress"))) {
                    return false;
                }
            }
            return true;
        }, () -> {
            String state = expected.stream().map(n -> n.name + "=" + n.status()).collect(Collectors.joining("\n"));
            return state + "\n" + dumpThreads(expected);
        });
    }

    /**
     * Writes each live node's thread dump next to its log ({@code <node>-threads.txt}): a cluster that did
     * not settle is diagnosed from where its threads wait, and the nodes are gone once the test closes.
     */
    private String dumpThreads(Collection<Node> of) {
        StringBuilder where = new StringBuilder("thread dumps:");
        for (Node n : of) {
            if (n.alive() && !n.paused) {
                Path out = n.log.resolveSibling(n.name + "-threads.txt");
                Cmd.Result r = Cmd.run(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(n.pid()),
                        "Thread.print");
                try {
                    Files.writeString(out, r.output());
                    where.append(' ').append(out);
                } catch (IOException e) {
                    where.append(' ').append(n.name).append(": ").append(e.getMessage());
                }
            }
        }
        return where.toString();
    }

    /** The live node that reports itself as the JGroups coordinator (and thus the topology coordinator). */
    public Node coordinator() {
        return alive().stream().filter(n -> "true".equals(n.status().get("Coordinator"))).findFirst()
                .orElseThrow(() -> new IllegalStateException("no live node reports itself as coordinator"));
    }

    /** Sum of a numeric status figure over the given nodes. */
    public long sum(Collection<Node> over, String figure) {
        long total = 0;
        for (Node n : over) {
            String v = n.status().get(figure);
            if (v != null && !v.isBlank()) {
                total += Long.parseLong(v.trim());
            }
        }
        return total;
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        await(what, timeout, condition, () -> "");
    }

    /** Polls the condition every 200 ms; fails naming what it waited for, and the state, at the deadline. */
    public static void await(String what, Duration timeout, BooleanSupplier condition,
                             java.util.function.Supplier<String> state) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + "\n"
                        + state.get());
            }
            Thread.sleep(200);
        }
    }

    static String tail(Path log) {
        try {
            String s = Files.exists(log) ? Files.readString(log) : "";
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            ChildProcess p = n.process;
            if (p != null && p.isAlive() && n.paused) {
                Cmd.run("kill", "-CONT", String.valueOf(p.pid()));
            }
        }
        reaper.close();
    }
}
