package org.sessiongrid.it.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/**
 * The load client against a node whose session lives under a cookie of its own beside the container's, as
 * Hazelcast's session filter keeps it: the client follows the named session cookie and sends every other
 * cookie back, as a browser does. The node here (the JDK's HTTP server on loopback) counts a request that
 * brings the session cookie without the container's: the filter would then make a new container session for
 * every request.
 */
class LoadClientCookiesTest {

    private HttpServer server;
    private String base;
    private final Map<String, Integer> counters = new ConcurrentHashMap<>();
    private final AtomicInteger created = new AtomicInteger();
    private final AtomicInteger withoutContainerCookie = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/app/inc", x -> {
            String cookies = String.valueOf(x.getRequestHeaders().getFirst("Cookie"));
            String id = value(cookies, "hz");
            if (id != null && counters.containsKey(id)) {
                if (value(cookies, "JSESSIONID") == null) {
                    withoutContainerCookie.incrementAndGet();
                }
            } else {
                int n = created.incrementAndGet();
                id = "HZ" + n;
                counters.put(id, 0);
                // The container's cookie first, then the filter's: the order Hazelcast's filter answers in.
                x.getResponseHeaders().add("Set-Cookie", "JSESSIONID=C" + n + ".n1; Path=/app; HttpOnly");
                x.getResponseHeaders().add("Set-Cookie", "hz=" + id + "; Path=/app");
            }
            answer(x, counters.merge(id, 1, Integer::sum) + " " + id + " n1");
        });
        server.createContext("/app/status", x -> answer(x, "ok"));
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/app";
    }

    @AfterEach
    void stop() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private static String value(String cookies, String name) {
        for (String c : cookies.split(";")) {
            String t = c.trim();
            if (t.startsWith(name + "=")) {
                return t.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static void answer(com.sun.net.httpserver.HttpExchange x, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Two sticky users through {@code exchange} until they made 40 requests; the history. */
    private History load(HttpExchange exchange) throws Exception {
        History h = new History();
        LoadClient load = new LoadClient(h, LoadClient.Mode.STICKY,
                new LoadClient.Settings(2, 2, 0, 0, 0, 4, Duration.ofSeconds(5)),
                () -> List.of(new LoadClient.Target("n1", base))).exchange(exchange).sessionCookie("hz");
        load.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (load.opsCount() < 40 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        load.close();
        return h;
    }

    private void assertOneSessionPerUserAndEveryCookieBack(History h) {
        assertTrue(h.ops().size() >= 40, "the load made only " + h.ops().size() + " requests");
        assertTrue(h.ops().stream().allMatch(Op::ok), "every request answered");
        assertEquals(2, created.get(), "one session per user: the client followed the filter's cookie");
        assertEquals(0, withoutContainerCookie.get(), "requests that brought the session cookie without the container's");
        assertEquals(h.ops().size(), counters.values().stream().mapToInt(Integer::intValue).sum());
        for (Op op : h.ops()) {
            assertTrue(op.sessionId().startsWith("HZ"), "the session id is the filter's: " + op);
        }
    }

    @Test
    void theLeanClientFollowsTheNamedSessionCookieAndSendsTheOthersBack() throws Exception {
        assertOneSessionPerUserAndEveryCookieBack(load(new SocketExchange()));
    }

    @Test
    void theJdkClientDoesTheSame() throws Exception {
        assertOneSessionPerUserAndEveryCookieBack(load(new JdkExchange()));
    }
}
