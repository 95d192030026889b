package org.sessiongrid.it.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The benchmarks' lean HTTP client against the JDK's own HTTP server on loopback: the answers real servers
 * send (a fixed length, chunked, an error status, several cookies, {@code Connection: close}, no answer in
 * time), and that a kept-alive connection is reused, since the point of the client is not to pay for a
 * connection per request. The server answers with the client's port, so a test sees which connection
 * carried a request.
 */
class SocketExchangeTest {

    private HttpServer server;
    private String base;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/app/port", x -> answer(x, 200, -1, String.valueOf(x.getRemoteAddress().getPort())));
        server.createContext("/app/cookies", x -> {
            x.getResponseHeaders().add("Set-Cookie", "JSESSIONID=abc.n1; Path=/app; HttpOnly");
            x.getResponseHeaders().add("Set-Cookie", "other=1");
            answer(x, 200, -1, "1 abc " + x.getRequestHeaders().getFirst("Cookie"));
        });
        server.createContext("/app/chunked", x -> answer(x, 200, 0, "x".repeat(64 * 1024) + "end"));
        server.createContext("/app/busy", x -> answer(x, 503, -1, "grid unavailable"));
        server.createContext("/app/close", x -> {
            x.getResponseHeaders().add("Connection", "close");
            answer(x, 200, -1, String.valueOf(x.getRemoteAddress().getPort()));
        });
        server.createContext("/app/slow", x -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(x, 200, -1, "late");
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/app";
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private static void answer(HttpExchange x, int status, long length, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, length == 0 ? 0 : bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void aKeptAliveConnectionCarriesTheNextRequest() throws Exception {
        try (SocketExchange http = new SocketExchange()) {
            String first = http.get(base, "/port", null, Duration.ofSeconds(5)).body();
            String second = http.get(base, "/port", null, Duration.ofSeconds(5)).body();
            assertEquals(first, second, "the second request went over the first's connection");
            assertEquals(1, http.openConnections());
        }
    }

    @Test
    void sendsTheCookieAndReturnsEverySetCookie() throws Exception {
        try (SocketExchange http = new SocketExchange()) {
            org.sessiongrid.it.load.HttpExchange.Answer a = http.get(base, "/cookies", "abc.n1", Duration.ofSeconds(5));
            assertEquals(200, a.status());
            assertEquals("1 abc JSESSIONID=abc.n1", a.body());
            assertEquals(List.of("JSESSIONID=abc.n1; Path=/app; HttpOnly", "other=1"), a.setCookies());
        }
    }

    @Test
    void readsAChunkedBodyAndAnErrorStatusOnTheSameConnection() throws Exception {
        try (SocketExchange http = new SocketExchange()) {
            String body = http.get(base, "/chunked", null, Duration.ofSeconds(5)).body();
            assertEquals(64 * 1024 + 3, body.length());
            assertTrue(body.endsWith("xend"));
            org.sessiongrid.it.load.HttpExchange.Answer busy = http.get(base, "/busy", null, Duration.ofSeconds(5));
            assertEquals(503, busy.status());
            assertEquals("grid unavailable", busy.body());
            assertEquals(1, http.openConnections(), "both answers were read whole, so the connection stays usable");
        }
    }

    @Test
    void aConnectionTheServerClosesIsNotReused() throws Exception {
        try (SocketExchange http = new SocketExchange()) {
            String first = http.get(base, "/close", null, Duration.ofSeconds(5)).body();
            assertEquals(0, http.openConnections(), "closed after an answer that said Connection: close");
            String second = http.get(base, "/port", null, Duration.ofSeconds(5)).body();
            assertNotEquals(first, second);
        }
    }

    @Test
    void noAnswerInTimeIsATimeoutAndTheNextRequestGetsAFreshConnection() throws Exception {
        try (SocketExchange http = new SocketExchange()) {
            String before = http.get(base, "/port", null, Duration.ofSeconds(5)).body();
            assertThrows(SocketTimeoutException.class, () -> http.get(base, "/slow", null, Duration.ofMillis(300)));
            release.countDown();
            String after = http.get(base, "/port", null, Duration.ofSeconds(5)).body();
            assertNotEquals(before, after, "a timed-out connection may still carry the late answer: never reused");
        }
    }

    @Test
    void aServerThatIsGoneIsAnIoError() throws Exception {
        try (SocketExchange http = new SocketExchange()) {
            http.get(base, "/port", null, Duration.ofSeconds(5));
            server.stop(0);
            IOException e = assertThrows(IOException.class, () -> {
                http.get(base, "/port", null, Duration.ofSeconds(2));
                http.get(base, "/port", null, Duration.ofSeconds(2));
            });
            assertTrue(!(e instanceof SocketTimeoutException), e.toString());
        }
    }
}
