package org.sessiongrid.jetty.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Jetty servers ({@link JettyNode}) in separate JVMs on 127.0.0.1, one SessionGrid cluster over the
 * tcp stack. Every process is killed by its PID when the farm closes (and by a shutdown hook if the
 * test JVM dies first). Logs go to {@code target/farm-logs}.
 */
final class Farm implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final String ee;
    private final String cluster = "farm-" + UUID.randomUUID();
    private final List<Node> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread killer = new Thread(this::killAll);

    /** One server process. */
    record Node(String name, int httpPort, int gridPort, Process process, Path log) {
    }

    /** The command line of each node, to start it again. */
    private final List<List<String>> commands = new ArrayList<>();

    Farm(String ee) {
        this.ee = ee;
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts {@code count} nodes and waits until every one serves. */
    Farm start(int count, int scavengeSeconds, int graceSeconds, Path webappClasses) throws Exception {
        int[] gridPorts = new int[count];
        for (int i = 0; i < count; i++) {
            gridPorts[i] = freeGridPort();
        }
        String initialHosts = Stream.of(gridPorts).flatMapToInt(java.util.Arrays::stream)
                .mapToObj(p -> "127.0.0.1[" + p + "]").collect(Collectors.joining(","));
        Path logs = Path.of("target", "farm-logs");
        Files.createDirectories(logs);
        for (int i = 0; i < count; i++) {
            String name = ee + "-n" + (nodes.size() + 1);
            int httpPort = freePort();
            List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                    "-cp", ServerClasspath.forEe(ee),
                    "-Dnode.ee=" + ee, "-Dnode.name=" + name, "-Dnode.http=" + httpPort,
                    "-Dnode.scavenge=" + scavengeSeconds, "-Dnode.grace=" + graceSeconds,
                    "-Dsessiongrid.clusterName=" + cluster, "-Dsessiongrid.stack=tcp",
                    "-Dsessiongrid.bindAddress=127.0.0.1", "-Dsessiongrid.bindPort=" + gridPorts[i],
                    "-Dsessiongrid.portRange=0", "-Dsessiongrid.initialHosts=" + initialHosts,
                    "-Dsessiongrid.failureDetectionTimeout=3000", "-Dsessiongrid.remoteTimeout=" + REMOTE_TIMEOUT_MILLIS,
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-Dorg.slf4j.simpleLogger.log.org.sessiongrid=info",
                    "-Dorg.slf4j.simpleLogger.log.org.sessiongrid.jetty.cache.SessionGridSessionCache=debug",
                    "-Dorg.slf4j.simpleLogger.showDateTime=true",
                    "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"));
            if (webappClasses != null) {
                cmd.add("-Dnode.webappClasses=" + webappClasses.toAbsolutePath());
            }
            cmd.add(JettyNode.class.getName());
            Path log = logs.resolve(name + "-" + cluster.substring(5, 13) + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            nodes.add(new Node(name, httpPort, gridPorts[i], p, log));
            commands.add(cmd);
        }
        for (Node n : nodes) {
            awaitTrue("node " + n.name + " serving (see " + n.log + ")", START_TIMEOUT, () -> {
                if (!n.process.isAlive()) {
                    throw new IllegalStateException("node " + n.name + " exited: " + tail(n.log));
                }
                return tail(n.log).contains("READY " + n.name);
            });
        }
        // Under load, nodes may first form clusters of their own and merge a little later: the tests
        // start once every node's latest view has them all.
        for (Node n : nodes) {
            awaitTrue("node " + n.name + " in a view of " + nodes.size() + " members (see " + n.log + ")",
                    START_TIMEOUT, () -> latestViewSize(n.log) == nodes.size());
        }
        return this;
    }

    /** The member count of the latest grid view a node logged ("View 2 of cluster c: 3 members [...]"), or 0. */
    private static int latestViewSize(Path log) {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(" View ") && l.contains(" members ["))
                    .map(l -> l.substring(0, l.indexOf(" members [")))
                    .map(l -> Integer.parseInt(l.substring(l.lastIndexOf(' ') + 1)))
                    .reduce((first, last) -> last).orElse(0);
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    Node node(int i) {
        return nodes.get(i);
    }

    List<Node> nodes() {
        return nodes;
    }

    /**
     * Starts a crashed node again (same name and ports, a log of its own) and waits until it serves and
     * every live node reports one settled topology.
     */
    void restart(int i) throws Exception {
        Node old = nodes.get(i);
        if (old.process.isAlive()) {
            throw new IllegalStateException(old.name + " is running");
        }
        Path log = old.log.resolveSibling(old.log.getFileName().toString().replace(".log", "-restarted.log"));
        Process p = new ProcessBuilder(commands.get(i)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Node n = new Node(old.name, old.httpPort, old.gridPort, p, log);
        nodes.set(i, n);
        awaitTrue("node " + n.name + " serving again (see " + log + ")", START_TIMEOUT, () -> {
            if (!n.process.isAlive()) {
                throw new IllegalStateException("node " + n.name + " exited: " + tail(log));
            }
            return tail(log).contains("READY " + n.name);
        });
        awaitTrue("one settled topology on every live node", START_TIMEOUT, () -> {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int k = 0; k < nodes.size(); k++) {
                if (nodes.get(k).process.isAlive()) {
                    try {
                        seen.add(get(k, "/diag/stable", new Client()));
                    } catch (IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
            return seen.size() == 1 && seen.iterator().next().endsWith(" true");
        });
    }

    /** kill -9: no shutdown hook, no graceful leave. */
    void crash(int i) throws InterruptedException {
        Process p = nodes.get(i).process;
        p.destroyForcibly();
        p.waitFor();
    }

    /** A GET on node {@code i} that must answer 200; {@code cookie} is updated from Set-Cookie. */
    String get(int i, String path, Client client) throws IOException, InterruptedException {
        HttpResponse<String> r = send(i, path, client);
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " on " + nodes.get(i).name + " answered " + r.statusCode());
        }
        return r.body();
    }

    /** A GET on node {@code i}, any status, redirects not followed; {@code cookie} is updated from Set-Cookie. */
    HttpResponse<String> send(int i, String path, Client client) throws IOException, InterruptedException {
        return send(i, path, client, null);
    }

    /** A form POST ({@code a=1&b=2}) on node {@code i}, otherwise like {@link #send(int, String, Client)}. */
    HttpResponse<String> post(int i, String path, String form, Client client) throws IOException, InterruptedException {
        return send(i, path, client, form);
    }

    private HttpResponse<String> send(int i, String path, Client client, String form)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(i).httpPort + path))
                .timeout(Duration.ofSeconds(30));
        if (form != null) {
            b.header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        }
        String cookie = client.cookie;
        if (cookie != null) {
            b.header("Cookie", "JSESSIONID=" + cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        sessionCookie(r).ifPresent(c -> client.cookie = c);
        return r;
    }

    /** The value of the JSESSIONID cookie a response sets, if it sets one. */
    static java.util.Optional<String> sessionCookie(HttpResponse<?> r) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID="))
                .map(c -> c.substring("JSESSIONID=".length(), c.indexOf(';') > 0 ? c.indexOf(';') : c.length()))
                .reduce((first, last) -> last);
    }

    /** One browser: its session cookie. */
    static final class Client {
        volatile String cookie;
    }

    /** The nodes' remoteTimeout: a claimant announces an expiry its primary left after 3 x this. */
    static final long REMOTE_TIMEOUT_MILLIS = 10_000;

    /**
     * "Exactly once" holds over time: watches {@code count} for {@code quiet} and fails at the first
     * moment it differs from {@code expected} (a late second call), naming {@code what}.
     */
    static void assertStays(String what, Duration quiet, java.util.function.IntSupplier count, int expected)
            throws InterruptedException {
        long end = System.nanoTime() + quiet.toNanos();
        do {
            int now = count.getAsInt();
            if (now != expected) {
                throw new AssertionError(what + ": " + now + " instead of " + expected);
            }
            Thread.sleep(100);
        } while (System.nanoTime() - end < 0);
    }

    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.exists(log) ? Files.readString(log) : "";
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A port p with p and p+100..p+103 (FD_SOCK2) free. */
    private static int freeGridPort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            if (free(p) && free(p + 100) && free(p + 101) && free(p + 102) && free(p + 103)) {
                return p;
            }
        }
        throw new IOException("no free port block for a grid member");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void killAll() {
        for (Node n : nodes) {
            n.process.destroyForcibly();
        }
        for (Node n : nodes) {
            try {
                n.process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    static String pathSeparator() {
        return File.pathSeparator;
    }
}
