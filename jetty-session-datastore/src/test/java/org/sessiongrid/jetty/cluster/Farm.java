package org.sessiongrid.jetty.cluster;

import java.io.IOException;
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
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.sessiongrid.testsupport.net.FreePorts;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;

/**
 * Jetty servers ({@link JettyNode}) in separate JVMs on 127.0.0.1, one SessionGrid cluster over the
 * tcp stack, launched and reaped by test-support's launcher: every process is killed by its PID when the
 * farm closes (and by a shutdown hook if the test JVM dies first). Logs go to {@code target/farm-logs}.
 */
final class Farm implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final String ee;
    private final String cluster = "farm-" + UUID.randomUUID();
    private final List<Node> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Reaper reaper = new Reaper("jetty-farm-reaper");
    private final FreePorts ports = new FreePorts();

    /** One server process. */
    record Node(String name, int httpPort, int gridPort, ChildProcess process, Path log) {
    }

    /** The command line of each node, to start it again. */
    private final List<List<String>> commands = new ArrayList<>();

    /** Grid settings given to every node besides the farm's own ({@link #setting}). */
    private final java.util.Map<String, Object> settings = new java.util.LinkedHashMap<>();

    Farm(String ee) {
        this.ee = ee;
    }

    /** A {@code sessiongrid.*} setting for every node this farm starts (call before {@link #start}). */
    Farm setting(String name, Object value) {
        settings.put(name, value);
        return this;
    }

    /** Starts {@code count} nodes and waits until every one serves. */
    Farm start(int count, int scavengeSeconds, int graceSeconds, Path webappClasses) throws Exception {
        int[] gridPorts = new int[count];
        for (int i = 0; i < count; i++) {
            gridPorts[i] = ports.gridPort();
        }
        String initialHosts = Stream.of(gridPorts).flatMapToInt(java.util.Arrays::stream)
                .mapToObj(p -> "127.0.0.1[" + p + "]").collect(Collectors.joining(","));
        Path logs = Path.of("target", "farm-logs");
        Files.createDirectories(logs);
        for (int i = 0; i < count; i++) {
            String name = ee + "-n" + (nodes.size() + 1);
            int httpPort = ports.port();
            JavaCommand cmd = JavaCommand.of(JettyNode.class)
                    .options("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true")
                    .classpath(ServerClasspath.forEe(ee))
                    .property("node.ee", ee).property("node.name", name).property("node.http", httpPort)
                    .property("node.scavenge", scavengeSeconds).property("node.grace", graceSeconds)
                    .property("sessiongrid.clusterName", cluster).property("sessiongrid.stack", "tcp")
                    .property("sessiongrid.bindAddress", "127.0.0.1").property("sessiongrid.bindPort", gridPorts[i])
                    .property("sessiongrid.portRange", 0).property("sessiongrid.initialHosts", initialHosts)
                    .property("sessiongrid.failureDetectionTimeout", 3000)
                    .property("sessiongrid.remoteTimeout", REMOTE_TIMEOUT_MILLIS)
                    .property("org.slf4j.simpleLogger.defaultLogLevel", "warn")
                    .property("org.slf4j.simpleLogger.log.org.sessiongrid", "info")
                    .property("org.slf4j.simpleLogger.log.org.sessiongrid.jetty.cache.SessionGridSessionCache", "debug")
                    .property("org.slf4j.simpleLogger.showDateTime", true)
                    .property("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
            settings.forEach(cmd::property);
            if (webappClasses != null) {
                cmd.property("node.webappClasses", webappClasses.toAbsolutePath());
            }
            Path log = logs.resolve(name + "-" + cluster.substring(5, 13) + ".log");
            ChildProcess p = reaper.track(ChildProcess.start(name, cmd.toList(), log));
            nodes.add(new Node(name, httpPort, gridPorts[i], p, log));
            commands.add(cmd.toList());
        }
        for (Node n : nodes) {
            n.process.awaitReady(START_TIMEOUT);
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
        ChildProcess p = reaper.track(ChildProcess.start(old.name, commands.get(i), log));
        Node n = new Node(old.name, old.httpPort, old.gridPort, p, log);
        nodes.set(i, n);
        p.awaitReady(START_TIMEOUT);
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
        nodes.get(i).process.kill();
    }

    /** SIGSTOP by the node's PID: the JVM freezes with its sockets open, as in a long GC pause or a frozen VM. */
    void freeze(int i) throws IOException, InterruptedException {
        signal(i, "STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    void thaw(int i) throws IOException, InterruptedException {
        signal(i, "CONT");
    }

    private void signal(int i, String name) throws IOException, InterruptedException {
        long pid = nodes.get(i).process.pid();
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + name + " " + pid + " (" + nodes.get(i).name + ") failed");
        }
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
        return send(i, path, client, (String) null);
    }

    /** Like {@link #send(int, String, Client)} for a request that may take up to {@code timeout}. */
    HttpResponse<String> send(int i, String path, Client client, Duration timeout)
            throws IOException, InterruptedException {
        return send(i, path, client, null, timeout);
    }

    /** A form POST ({@code a=1&b=2}) on node {@code i}, otherwise like {@link #send(int, String, Client)}. */
    HttpResponse<String> post(int i, String path, String form, Client client) throws IOException, InterruptedException {
        return send(i, path, client, form);
    }

    private HttpResponse<String> send(int i, String path, Client client, String form)
            throws IOException, InterruptedException {
        return send(i, path, client, form, Duration.ofSeconds(30));
    }

    private HttpResponse<String> send(int i, String path, Client client, String form, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(i).httpPort + path))
                .timeout(timeout);
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

    /**
     * The nodes' remoteTimeout: a claimant announces an expiry its primary left after 3 x this. Well above
     * what a failover takes here (a killed node's closed sockets take it out of the view within 1-2 s), as
     * in the fault matrix's farms; what a second sessionDestroyed call is watched for after a crash.
     */
    static final long REMOTE_TIMEOUT_MILLIS = 5_000;

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

    @Override
    public void close() {
        reaper.close();
    }
}
