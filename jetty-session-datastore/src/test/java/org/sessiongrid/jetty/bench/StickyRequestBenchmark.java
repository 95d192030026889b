package org.sessiongrid.jetty.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.NullSessionDataStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.sessiongrid.jetty.store.SessionGridDataStore;

/**
 * One sticky {@code /inc?pad=1024} request over HTTP/1.1 keep-alive on loopback, as the farm benchmark sends it:
 * {@code sessions=jetty} is Jetty's in-process sessions ({@code DefaultSessionCache} over a
 * {@code NullSessionDataStore}), {@code sessions=sessiongrid} the module as the README sets it up, on three
 * members in this JVM over the in-memory {@code test-loopback} stack with this node the session's primary. The
 * difference is what the whole adapter adds to a request (the store's save, the cache's check, the request handler,
 * the routes), the part {@link StickyWriteBenchmark} does not see. The client is a raw socket. Run with
 * {@code -prof gc} for bytes per request (server, grid and client together).
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class StickyRequestBenchmark {

    /** The farm's counter servlet, {@code /inc?pad=1024} only. */
    public static final class IncServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            HttpSession s = req.getSession(true);
            Integer c = (Integer) s.getAttribute("counter");
            int next = c == null ? 1 : c + 1;
            s.setAttribute("counter", next);
            byte[] payload = new byte[1024];
            ThreadLocalRandom.current().nextBytes(payload);
            s.setAttribute("payload", payload);
            byte[] body = (next + " " + s.getId()).getBytes(StandardCharsets.US_ASCII);
            resp.setContentType("text/plain");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }

    @Param({"jetty", "sessiongrid"})
    public String sessions;

    private Server server;
    private final List<SessionGrid> others = new ArrayList<>();
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private byte[] request;
    private final byte[] buffer = new byte[8192];

    @Setup(Level.Trial)
    public void start() throws Exception {
        String cluster = "sticky-request-bench-" + UUID.randomUUID();
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server);
        ids.setWorkerName("n1");
        server.addBean(ids, true);
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        ctx.addServlet(new ServletHolder(new IncServlet()), "/inc");
        ctx.getSessionHandler().setMaxInactiveInterval(1800);
        if (sessions.equals("jetty")) {
            DefaultSessionCache cache = new DefaultSessionCache(ctx.getSessionHandler());
            cache.setSessionDataStore(new NullSessionDataStore());
            ctx.getSessionHandler().setSessionCache(cache);
            server.setHandler(ctx);
            server.start();
        } else {
            StoreSettings settings = new StoreSettings();
            settings.set("clusterName", cluster);
            settings.set("stack", "test-loopback");
            SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
            SessionGridDataStore store = new SessionGridDataStore(settings, ctx.getSessionHandler());
            cache.setSessionDataStore(store);
            ctx.getSessionHandler().setSessionCache(cache);
            server.setHandler(new SessionGridRequestHandler(ctx));
            server.start();
            for (String node : List.of("n2", "n3")) {
                others.add(SessionGrid.start(GridConfig.builder(cluster).stack("test-loopback").nodeName(node)
                        .build()));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(store.grid().members().size() == 3 && store.grid().isStable()
                    && others.stream().allMatch(g -> g.isStable() && g.topologyId() == store.grid().topologyId()))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the benchmark cluster did not settle within 60 s");
                }
                Thread.sleep(10); // polling the members' state, bounded by the deadline
            }
        }
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", connector.getLocalPort()));
        in = socket.getInputStream();
        out = socket.getOutputStream();
        request = "GET /app/inc?pad=1024 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        String first = send();
        int cookie = first.indexOf("JSESSIONID=");
        if (cookie < 0) {
            throw new IllegalStateException("no session cookie: " + first);
        }
        int end = cookie;
        while (end < first.length() && first.charAt(end) != ';' && first.charAt(end) != '\r') {
            end++;
        }
        String value = first.substring(cookie, end);
        request = ("GET /app/inc?pad=1024 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + value + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        if (send().contains("Set-Cookie") || !send().startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("the session did not stick");
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        socket.close();
        others.forEach(SessionGrid::halt);
        server.stop();
    }

    /** Sends the request and reads the whole answer (headers, then Content-Length bytes). */
    private String send() throws IOException {
        out.write(request);
        out.flush();
        int n = 0;
        int headerEnd = -1;
        while (headerEnd < 0) {
            int r = in.read(buffer, n, buffer.length - n);
            if (r < 0) {
                throw new IOException("connection closed");
            }
            n += r;
            headerEnd = indexOfBlankLine(buffer, n);
        }
        String head = new String(buffer, 0, headerEnd, StandardCharsets.US_ASCII);
        int at = head.indexOf("Content-Length: ");
        int lineEnd = head.indexOf('\r', at);
        int length = Integer.parseInt(head.substring(at + 16, lineEnd < 0 ? head.length() : lineEnd).trim());
        int total = headerEnd + 4 + length;
        while (n < total) {
            int r = in.read(buffer, n, total - n);
            if (r < 0) {
                throw new IOException("connection closed");
            }
            n += r;
        }
        return head;
    }

    private static int indexOfBlankLine(byte[] b, int n) {
        for (int i = 0; i + 3 < n; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** One sticky write request, answered. */
    @Benchmark
    public String request() throws IOException {
        return send();
    }
}
