package org.sessiongrid.jetty.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.testsupport.files.WorkDirs;
import org.sessiongrid.testsupport.net.FreePorts;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;

/**
 * The module README's embedded set-up is {@link EmbeddedJetty}, compiled and run here: the README shows
 * the file itself, and two nodes started from it on loopback keep a session's counter when the first
 * one stops on SIGTERM, after it left the grid gracefully.
 */
class EmbeddedJettyTest {

    private static final Path SOURCE = Path.of("src/test/java/org/sessiongrid/jetty/example/EmbeddedJetty.java");
    /** The README line right before the code block that shows {@link #SOURCE}. */
    private static final String README_MARKER = "<!-- src/test/java/org/sessiongrid/jetty/example/EmbeddedJetty.java,"
            + " from its imports on (EmbeddedJettyTest) -->";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Reaper reaper = new Reaper("embedded-jetty-reaper");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String cookie;

    @AfterEach
    void stopNodes() {
        reaper.close();
    }

    @Test
    void theReadmeShowsTheExampleAsItIs() throws IOException {
        String source = Files.readString(SOURCE, StandardCharsets.UTF_8);
        String fromImports = source.substring(source.indexOf("\nimport ") + 1);
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int marker = readme.indexOf(README_MARKER + "\n```java\n");
        assertTrue(marker >= 0, "README.md has no line '" + README_MARKER + "' followed by a ```java block");
        int start = marker + README_MARKER.length() + "\n```java\n".length();
        int end = readme.indexOf("```\n", start);
        assertEquals(fromImports, readme.substring(start, end),
                "the README's embedded example differs from " + SOURCE + " (from its imports on): copy the file");
    }

    @Test
    void twoNodesKeepACounterWhenTheFirstStopsOnSigterm() throws Exception {
        Path work = Path.of("target", "embedded-jetty");
        WorkDirs.fresh(work);
        FreePorts ports = new FreePorts();
        int[] http = {ports.port(), ports.port()};
        int[] grid = {ports.gridPort(), ports.gridPort()};
        String hosts = "127.0.0.1[" + grid[0] + "],127.0.0.1[" + grid[1] + "]";
        ChildProcess n1 = start("n1", http[0], grid[0], hosts, work);
        ChildProcess n2 = start("n2", http[1], grid[1], hosts, work);
        for (ChildProcess n : List.of(n1, n2)) {
            n.await("Jetty's start", START_TIMEOUT, line -> line.contains(" Started oejs.Server@"));
            n.await("a view of both members", START_TIMEOUT, line -> line.contains(" of cluster shop: 2 members"));
        }

        assertEquals("1", count(http[0]));
        assertEquals("2", count(http[0]));
        // The route names the session's primary by its worker name (Jetty's default would be "node0").
        assertTrue(cookie.endsWith(".n1") || cookie.endsWith(".n2"), "a worker name is the route: " + cookie);

        assertTrue(n1.stop(Duration.ofSeconds(30)), "n1 did not exit within 30 s of SIGTERM; see " + n1.log());
        assertTrue(n1.output().contains("n1 left cluster shop gracefully"),
                "SIGTERM stopped Jetty, and the grid member left gracefully; n1's log ends with:\n" + n1.tail());
        assertEquals("3", count(http[1]));
    }

    private ChildProcess start(String name, int httpPort, int gridPort, String hosts, Path work) throws IOException {
        JavaCommand cmd = JavaCommand.of(EmbeddedJetty.class)
                .options("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true")
                .classpath(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")))
                .property("sessiongrid.bindAddress", "127.0.0.1").property("sessiongrid.bindPort", gridPort)
                .property("sessiongrid.portRange", 0).property("sessiongrid.initialHosts", hosts)
                .property("org.slf4j.simpleLogger.defaultLogLevel", "warn")
                .property("org.slf4j.simpleLogger.log.org.sessiongrid", "info")
                .property("org.slf4j.simpleLogger.log.org.eclipse.jetty.server.Server", "info")
                .args(name, "127.0.0.1", String.valueOf(httpPort));
        return reaper.track(ChildProcess.start(name, cmd.toList(), work.resolve(name + ".log")));
    }

    /** GET /app/counter on the node at {@code port} with this user's cookie; must answer 200. */
    private String count(int port) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app/counter"))
                .timeout(Duration.ofSeconds(30));
        if (cookie != null) {
            b.header("Cookie", "JSESSIONID=" + cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), "GET /app/counter on port " + port + ": " + r.body());
        r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID="))
                .map(c -> c.substring("JSESSIONID=".length(), c.indexOf(';') > 0 ? c.indexOf(';') : c.length()))
                .reduce((first, last) -> last).ifPresent(c -> cookie = c);
        return r.body();
    }
}
