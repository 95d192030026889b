package org.sessiongrid.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.sessiongrid.demo.Json;
import org.sessiongrid.testsupport.files.WorkDirs;
import org.sessiongrid.testsupport.net.FreePorts;

/**
 * The drop-in jar as a user installs it, on one Tomcat line: two real Tomcat servers from the distribution
 * archive on Maven Central, each with the line's drop-in jar in {@code lib/}, the {@code <Manager>} line in
 * {@code conf/context.xml} and the sample war in {@code webapps/}; a session made on one survives kill -9 of
 * that one. One farm per class, on loopback; every Tomcat is killed by its PID when the test ends.
 */
abstract class AbstractTomcatDistributionIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Process> processes = new ArrayList<>();

    /** The unpacked Tomcat distribution ({@code CATALINA_HOME}). */
    abstract Path tomcatHome();

    /** The drop-in jar of this Tomcat line, as the archive ships it. */
    abstract Path dropinJar();

    /** The sample webapp, for this line's Servlet API. */
    abstract Path sampleWar();

    /** A name for this line's work directory. */
    abstract String line();

    @AfterEach
    void killAll() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(240)
    void sessionSurvivesKillOfTheTomcatThatCreatedIt() throws Exception {
        Path home = tomcatHome();
        assertTrue(Files.isRegularFile(home.resolve("bin/bootstrap.jar")), "Tomcat distribution not unpacked at " + home);
        Path work = Path.of(System.getProperty("sessiongrid.test.work"), "tomcat-dist-" + line());
        WorkDirs.delete(work);
        FreePorts ports = new FreePorts();
        int[] http = {ports.port(), ports.port()};
        int[] grid = {ports.gridPort(), ports.gridPort()};
        String hosts = "127.0.0.1[" + grid[0] + "],127.0.0.1[" + grid[1] + "]";
        Path[] bases = {base(home, work, "t1", http[0]), base(home, work, "t2", http[1])};

        start(home, bases[0], grid[0], hosts);
        awaitUp(http[0], bases[0]);
        start(home, bases[1], grid[1], hosts);
        awaitUp(http[1], bases[1]);
        // Both are members of one topology, and the rebalance that gave t2 its share is over.
        await(() -> "both Tomcats in one settled grid", 60, () -> settled(http[0], 2) && settled(http[1], 2));

        String cookie = null;
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> r = post(http[0], cookie);
            cookie = cookie == null ? r.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0] : cookie;
            Map<?, ?> j = (Map<?, ?>) Json.parse(r.body());
            assertEquals((long) i, j.get("counter"), r.body());
            assertEquals("t1", j.get("node"));
        }
        assertTrue(cookie.endsWith(".t1"), "the session id names its primary, the Tomcat that made it: " + cookie);
        // Round-robin, one request after another: the sample answers with Content-Length, so each
        // change must be stored before Tomcat sends the answer (the drop-in jar's commit point).
        for (int i = 4; i <= 9; i++) {
            int node = i % 2;
            Map<?, ?> rr = (Map<?, ?>) Json.parse(post(http[node], cookie).body());
            assertEquals((long) i, rr.get("counter"), "round-robin step " + i + " on t" + (node + 1) + ": " + rr);
        }

        Process t1 = processes.get(0);
        t1.destroyForcibly(); // kill -9
        assertTrue(t1.waitFor(20, TimeUnit.SECONDS));

        HttpResponse<String> r = post(http[1], cookie);
        Map<?, ?> j = (Map<?, ?>) Json.parse(r.body());
        assertEquals(10L, j.get("counter"), "the counter after t1's death: " + r.body());
        assertEquals("t2", j.get("node"));
        // The route follows the new primary: the response re-sets the cookie with t2's route.
        String reset = r.headers().firstValue("Set-Cookie").orElse("");
        assertTrue(reset.startsWith(cookie.substring(0, cookie.length() - 2) + "t2;"),
                "expected the session cookie re-set with route t2, got '" + reset + "'");
        String log = Files.readString(bases[1].resolve("stdout.log"));
        // SLF4J (relocated, with its JDK-logging provider) reaches Tomcat's JULI, JGroups' lines included.
        assertTrue(log.contains("org.sessiongrid.tomcat.SessionGridManager.startInternal SessionGrid sessions for localhost/app"),
                "SessionGrid's log lines missing from Tomcat's log:\n" + log);
        // JULI's format names the class and method that logged (the coordinator's piece that handled the view).
        assertTrue(log.lines().anyMatch(l -> l.contains("org.sessiongrid.topology.")
                        && l.contains("Members left cluster dist-it: [t1]")),
                "t1's crash not logged by t2:\n" + log);
        // JGroups' own lines name the JGroups class that logged them, not the logging bridge.
        String listening = log.lines().filter(l -> l.contains("server listening on")).findFirst().orElse("");
        assertTrue(listening.contains("org.sessiongrid.shaded.jgroups.") && !listening.contains(".logging."),
                "a JGroups line's source: " + listening);

        // SIGTERM: Tomcat stops, and with it the grid member, which says that it leaves.
        Process t2 = processes.get(1);
        t2.destroy();
        assertTrue(t2.waitFor(60, TimeUnit.SECONDS), "t2 did not stop on SIGTERM");
        String stopped = Files.readString(bases[1].resolve("stdout.log"));
        assertTrue(stopped.contains("t2 leaves cluster dist-it as its last member"), "t2's own leave not logged:\n" + stopped);
    }

    /** A CATALINA_BASE: the distribution's conf/ with our edits, the jar in lib/, the sample war. */
    private Path base(Path home, Path work, String route, int port) throws IOException {
        Path base = work.resolve(route);
        for (String d : new String[] {"lib", "logs", "temp", "webapps", "work"}) {
            Files.createDirectories(base.resolve(d));
        }
        copyTree(home.resolve("conf"), base.resolve("conf"));
        Path serverXml = base.resolve("conf/server.xml");
        String server = Files.readString(serverXml)
                .replace("<Server port=\"8005\"", "<Server port=\"-1\"") // no shutdown port: stopped by PID
                .replace("<Connector port=\"8080\"", "<Connector port=\"" + port + "\" address=\"127.0.0.1\"")
                .replace("<Engine name=\"Catalina\" defaultHost=\"localhost\">",
                        "<Engine name=\"Catalina\" defaultHost=\"localhost\" jvmRoute=\"" + route + "\">");
        assertTrue(server.contains("jvmRoute=\"" + route + "\"") && server.contains("port=\"" + port + "\""),
                "server.xml of Tomcat " + home + " has changed shape");
        Files.writeString(serverXml, server);
        // The one line the README tells users to add.
        Path contextXml = base.resolve("conf/context.xml");
        Files.writeString(contextXml, Files.readString(contextXml).replace("</Context>",
                "    <Manager className=\"org.sessiongrid.tomcat.SessionGridManager\" clusterName=\"dist-it\""
                        + " stack=\"tcp\" failureDetectionTimeout=\"3000\"/>\n</Context>"));
        Files.copy(dropinJar(), base.resolve("lib").resolve(dropinJar().getFileName()));
        Files.copy(sampleWar(), base.resolve("webapps/app.war"));
        return base;
    }

    /** What bin/catalina.sh run does, without the shell: Bootstrap with catalina.home/base set. */
    private void start(Path home, Path base, int gridPort, String hosts) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                "-Djava.util.logging.config.file=" + base.resolve("conf/logging.properties"),
                "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                "-Dcatalina.home=" + home, "-Dcatalina.base=" + base, "-Djava.io.tmpdir=" + base.resolve("temp"),
                // The stack's properties, as a user would put them in bin/setenv.sh.
                "-Dsessiongrid.bindAddress=127.0.0.1", "-Dsessiongrid.bindPort=" + gridPort,
                "-Dsessiongrid.portRange=0", "-Dsessiongrid.initialHosts=" + hosts,
                "-cp", home.resolve("bin/bootstrap.jar") + File.pathSeparator + home.resolve("bin/tomcat-juli.jar"),
                "org.apache.catalina.startup.Bootstrap", "start");
        processes.add(new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("stdout.log").toFile()).start());
    }

    private void awaitUp(int port, Path base) throws InterruptedException {
        Process p = processes.get(processes.size() - 1);
        await(() -> "Tomcat on port " + port + " serves the sample webapp; its output:\n" + read(base.resolve("stdout.log")),
                120, () -> {
                    if (!p.isAlive()) {
                        throw new AssertionError("Tomcat exited:\n" + read(base.resolve("stdout.log")));
                    }
                    // Tomcat runs on without the webapp whose start failed (a wrong jar for the line: its
                    // manager cannot load): no need to wait out the deadline.
                    String log = read(base.resolve("stdout.log"));
                    if (log.contains("Context [/app] startup failed")) {
                        throw new AssertionError("the sample webapp did not start:\n" + log);
                    }
                    try {
                        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app/api/grid"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
                                .body().contains("\"grid\"");
                    } catch (IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
    }

    private static boolean settled(int port, int members) {
        try {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app/api/grid"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Map<?, ?> g = (Map<?, ?>) ((Map<?, ?>) Json.parse(body)).get("grid");
            return g != null && ((List<?>) g.get("Members")).size() == members
                    && Boolean.FALSE.equals(g.get("RebalanceInProgress")) && ((Long) g.get("BackupSegments")) > 0;
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static HttpResponse<String> post(int port, String cookie) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app/api/counter"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody());
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    static void await(Supplier<String> what, long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + " s waiting until " + what.get());
            }
            Thread.sleep(200);
        }
    }

    private static String read(Path p) {
        try {
            String s = Files.exists(p) ? Files.readString(p) : "";
            return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
        } catch (IOException e) {
            return e.toString();
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
