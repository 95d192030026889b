package org.sessiongrid.it.rig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real balancer in front of a farm: HAProxy, started by the test as a child process in the host namespace,
 * listening on loopback and reaching the nodes at their namespace addresses, as the load client does.
 *
 * <p>Its configuration is a farm's: sticky by the route the container puts on the session id (Tomcat's jvmRoute,
 * Jetty's worker name: {@code JSESSIONID=<id>.n2}), matched by one ACL per server on the cookie's suffix
 * ({@code use-server}). No balancer cookie: the route on the id is what the grid moves when a session's primary
 * changes, and a balancer cookie would pin a user to the node that first served it instead. A route whose server
 * is down is ignored and the request balanced round-robin; a refused connection is retried at once on another
 * server ({@code option redispatch 1}, {@code retries}; HAProxy waits min(timeout connect, 1 s) only before a
 * retry on the same server); health checks of {@code /status} every {@value #CHECK_INTERVAL_MILLIS} ms take a
 * dead node out. {@code option http-server-close}, a new server connection per request: when a reused server
 * connection closes without an answer, HAProxy closes the client's connection silently so that the client sends the
 * request again (HAProxy's {@code http-reuse} documentation), and clients do so for a GET (browsers, and {@code
 * java.net.http}); the counter's {@code /inc} is a GET that is not idempotent, and an increment that a node stored
 * but was killed before answering was applied twice (the checker's phantom increment). On a connection of its own
 * such a request is answered 502 instead. Every answer names the server
 * that gave it ({@value #SERVED_BY}), so the history records the node behind the balancer.
 */
public final class Balancer implements AutoCloseable {

    /** The response header that names the server behind the balancer. */
    public static final String SERVED_BY = "X-Served-By";
    static final int CHECK_INTERVAL_MILLIS = 200;

    private final Process process;
    private final int port;
    private final Path log;

    private Balancer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** HAProxy's version line, or null when {@code haproxy} is not installed (Debian: {@code apt-get install -y haproxy}). */
    public static String version() {
        Cmd.Result r = Cmd.run("haproxy", "-v");
        return r.ok() ? r.output().lines().findFirst().orElse("haproxy") : null;
    }

    /** Writes the configuration for {@code nodes} into {@code work}, starts HAProxy and waits until it answers. */
    public static Balancer start(List<Farm.Node> nodes, Path work) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path cfg = work.resolve("haproxy.cfg");
        Files.writeString(cfg, config(nodes, port));
        Path log = work.resolve("haproxy.log");
        Process p = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        Balancer b = new Balancer(p, port, log);
        try {
            b.awaitServing(Duration.ofSeconds(30));
            return b;
        } catch (RuntimeException | Error | InterruptedException e) {
            b.close();
            throw e;
        }
    }

    static String config(List<Farm.Node> nodes, int port) {
        StringBuilder c = new StringBuilder("""
                global
                    maxconn 4096
                defaults
                    mode http
                    timeout connect 200ms
                    timeout client 30s
                    timeout server 30s
                    timeout check 1s
                    retries 3
                    option redispatch 1
                    option http-server-close
                frontend farm
                    bind 127.0.0.1:%d
                    default_backend nodes
                backend nodes
                    balance roundrobin
                    option httpchk GET /app/status
                    default-server check inter %dms fastinter %dms downinter %dms fall 2 rise 2
                    http-after-response set-header %s %%s
                """.formatted(port, CHECK_INTERVAL_MILLIS, CHECK_INTERVAL_MILLIS / 2, CHECK_INTERVAL_MILLIS, SERVED_BY));
        for (Farm.Node n : nodes) {
            c.append("    acl route_").append(n.name).append(" req.cook(JSESSIONID) -m end .").append(n.name).append('\n');
            c.append("    use-server ").append(n.name).append(" if route_").append(n.name).append('\n');
        }
        for (Farm.Node n : nodes) {
            c.append("    server ").append(n.name).append(' ').append(n.address).append(':').append(Farm.HTTP_PORT)
                    .append('\n');
        }
        return c.toString();
    }

    /** The farm's URL through the balancer (the nodes' {@code /app}). */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/app";
    }

    public long pid() {
        return process.pid();
    }

    private void awaitServing(Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("haproxy exited with " + process.exitValue() + ": " + Farm.tail(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/status")).timeout(Duration.ofSeconds(1))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("haproxy (pid " + pid() + ") did not serve within " + timeout.toSeconds()
                        + " s: " + Farm.tail(log));
            }
            Thread.sleep(100);
        }
    }

    /** Stops HAProxy by its PID (SIGTERM, then SIGKILL). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
