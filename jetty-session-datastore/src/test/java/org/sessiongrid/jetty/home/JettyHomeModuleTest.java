package org.sessiongrid.jetty.home;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import javax.tools.ToolProvider;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The jetty-home module as a user installs it: the jetty-home distribution from Maven Central,
 * {@code start.jar --add-modules=session-store-sessiongrid}, a small war-less webapp deployed on two
 * such servers (ee10), and a session that survives the stop of the node that created it. The servers
 * start, so the module put SessionGridRequestHandler in front of the deployed context (a store refuses
 * to start otherwise), and its session ids route to their primaries.
 */
class JettyHomeModuleTest {

    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String cookie;

    @AfterEach
    void killServers() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    @Test
    void sessionSurvivesTheStopOfTheNodeThatCreatedIt() throws Exception {
        Path work = Path.of("target", "jetty-home-it", UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        Files.createDirectories(work);
        Path home = unpackJettyHome(work);
        Path libs = work.resolve("sessiongrid-libs");
        stageLibraries(libs);
        Path webapp = buildWebapp(work.resolve("webapp"));

        int[] grid = {freeGridPort(), freeGridPort()};
        int[] httpPorts = {freePort(), freePort()};
        String cluster = "home-" + UUID.randomUUID();
        String hosts = "127.0.0.1[" + grid[0] + "],127.0.0.1[" + grid[1] + "]";
        Path[] bases = new Path[2];
        for (int i = 0; i < 2; i++) {
            bases[i] = work.resolve("base" + i);
            Files.createDirectories(bases[i].resolve("lib/sessiongrid"));
            copyTree(Path.of(System.getProperty("sgtest.jettyHome")), bases[i]);
            try (Stream<Path> jars = Files.list(libs)) {
                for (Path jar : jars.toList()) {
                    Files.copy(jar, bases[i].resolve("lib/sessiongrid").resolve(jar.getFileName()));
                }
            }
            String out = run(home, bases[i], List.of("--add-modules=http,ee10-deploy,session-store-sessiongrid"));
            assertTrue(Files.exists(bases[i].resolve("start.d/session-store-sessiongrid.ini")),
                    "start.jar did not add the module: " + out);
            copyTree(webapp, bases[i].resolve("webapps/counter"));
        }
        for (int i = 0; i < 2; i++) {
            start(home, bases[i], List.of("jetty.http.host=127.0.0.1", "jetty.http.port=" + httpPorts[i],
                    "sessiongrid.clusterName=" + cluster, "sessiongrid.stack=tcp", "sessiongrid.bindAddress=127.0.0.1",
                    "sessiongrid.bindPort=" + grid[i], "sessiongrid.portRange=0", "sessiongrid.initialHosts=" + hosts,
                    "sessiongrid.failureDetectionTimeout=3000"));
        }
        for (int port : httpPorts) {
            awaitServing(port);
        }
        for (Path base : bases) {
            awaitTwoMembers(base.resolve("server.log"));
        }

        assertEquals("1", get(httpPorts[0], "/counter/inc"));
        assertEquals("2", get(httpPorts[0], "/counter/inc"));
        String worker = cookie.substring(cookie.indexOf('.') + 1);
        assertNotEquals("node0", worker, "the worker name must default to the unique grid member name");
        assertEquals("hidden", get(httpPorts[0], "/counter/hidden"), "SessionGrid classes must be hidden from webapps");
        // The module puts SessionGridSessionIdManager in place (routes follow each session's primary);
        // a store whose id manager is Jetty's says so when it starts.
        for (Path base : bases) {
            String log = Files.readString(base.resolve("server.log"));
            assertTrue(log.contains("SessionGrid store for"), "the store did not start: " + log);
            assertTrue(!log.contains("carry the worker name of the node that served the request"),
                    "the module left Jetty's id manager in place: " + log);
        }

        // Graceful stop (SIGTERM): Jetty stops, the grid member hands its sessions over and leaves.
        Process first = processes.get(0);
        first.destroy();
        assertTrue(first.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "node 1 did not stop");
        assertEquals("3", get(httpPorts[1], "/counter/inc"));
        assertEquals("4", get(httpPorts[1], "/counter/inc"));
    }

    private static Path unpackJettyHome(Path work) throws Exception {
        Path tgz = Path.of(System.getProperty("sgtest.artifacts"), "jetty-home.tar.gz");
        Process tar = new ProcessBuilder("tar", "xzf", tgz.toString(), "-C", work.toString()).inheritIO().start();
        assertEquals(0, tar.waitFor(), "tar failed on " + tgz);
        return work.resolve("jetty-home-" + System.getProperty("sgtest.jettyHomeVersion"));
    }

    /**
     * Our jar (built from target/classes), core, jgroups-config and JGroups, under the names the
     * distribution gives them in jetty/lib/sessiongrid/ ({@code artifactId-version.jar}); the module's
     * [files] section names them, so --add-modules fails if the module's versions drift from the build's.
     */
    private static void stageLibraries(Path libs) throws IOException {
        Files.createDirectories(libs);
        String version = System.getProperty("sgtest.projectVersion");
        Path classes = Path.of("target", "classes");
        try (OutputStream out = Files.newOutputStream(libs.resolve("sessiongrid-jetty-" + version + ".jar"));
             JarOutputStream jar = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // artifactId -> the name the distribution gives its jar
        java.util.Map<String, String> wanted = java.util.Map.of(
                "sessiongrid-core", "sessiongrid-core-" + version + ".jar",
                "sessiongrid-jgroups-config", "sessiongrid-jgroups-config-" + version + ".jar",
                "jgroups", "jgroups-" + System.getProperty("sgtest.jgroupsVersion") + ".jar");
        for (String entry : cp.split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            String name = jar.getFileName().toString();
            for (java.util.Map.Entry<String, String> w : wanted.entrySet()) {
                // artifactId-<digit>...: "jgroups-" must not match "sessiongrid-jgroups-config-"; a reactor
                // build may put a module's target/classes here instead of its jar (not a regular file).
                if (Files.isRegularFile(jar) && name.startsWith(w.getKey() + "-")
                        && name.substring(w.getKey().length() + 1).matches("[0-9].*")) {
                    Files.copy(jar, libs.resolve(w.getValue()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        for (String w : wanted.values()) {
            assertTrue(Files.exists(libs.resolve(w)), "not on the test class path: " + w);
        }
    }

    private static Path buildWebapp(Path dir) throws Exception {
        Path src = dir.resolve("src/CounterServlet.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                import jakarta.servlet.http.*;
                public class CounterServlet extends HttpServlet {
                    @Override protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                            throws java.io.IOException {
                        String answer;
                        if (req.getPathInfo().equals("/hidden")) {
                            try {
                                Class.forName("org.sessiongrid.grid.SessionGrid", false, getClass().getClassLoader());
                                answer = "visible";
                            } catch (ClassNotFoundException e) {
                                answer = "hidden";
                            }
                        } else {
                            HttpSession s = req.getSession(true);
                            Integer c = (Integer) s.getAttribute("count");
                            int next = c == null ? 1 : c + 1;
                            s.setAttribute("count", next);
                            answer = String.valueOf(next);
                        }
                        resp.setContentType("text/plain");
                        resp.getWriter().print(answer);
                    }
                }
                """);
        Path webapp = dir.resolve("counter");
        Path classes = webapp.resolve("WEB-INF/classes");
        Files.createDirectories(classes);
        String api = Path.of(System.getProperty("sgtest.artifacts"), "servlet-api-ee10.jar").toString();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", api, "-d", classes.toString(),
                src.toString());
        assertEquals(0, rc, "javac of the test webapp failed");
        Files.writeString(webapp.resolve("WEB-INF/web.xml"), """
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
                  <servlet><servlet-name>counter</servlet-name><servlet-class>CounterServlet</servlet-class></servlet>
                  <servlet-mapping><servlet-name>counter</servlet-name><url-pattern>/*</url-pattern></servlet-mapping>
                </web-app>
                """);
        return webapp;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String run(Path home, Path base, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", home.resolve("start.jar").toString(),
                "jetty.home=" + home, "jetty.base=" + base));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "start.jar " + args + " failed:\n" + out);
        return out;
    }

    private void start(Path home, Path base, List<String> props) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx256m", "-Djava.net.preferIPv4Stack=true", "-jar",
                home.resolve("start.jar").toString(), "jetty.home=" + home, "jetty.base=" + base));
        cmd.addAll(props);
        Path log = base.resolve("server.log");
        processes.add(new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start());
    }

    private void awaitServing(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/counter/hidden")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new AssertionError("a server exited; see target/jetty-home-it/*/base*/server.log");
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("server on port " + port + " did not serve /counter within 90 s");
            }
            Thread.sleep(200);
        }
    }

    /**
     * Waits until the node's grid has both members: on a loaded machine the two may first form a
     * cluster each and merge a little later.
     */
    private static void awaitTwoMembers(Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.readString(log).lines().anyMatch(l -> l.contains("View ") && l.contains(": 2 members"))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the grid did not reach 2 members within 60 s; see " + log);
            }
            Thread.sleep(200);
        }
    }

    private String get(int port, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (cookie != null) {
            b.header("Cookie", "JSESSIONID=" + cookie);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID=")).findFirst()
                .ifPresent(c -> cookie = c.substring(11, c.indexOf(';') > 0 ? c.indexOf(';') : c.length()));
        assertEquals(200, r.statusCode(), "GET " + path + " on port " + port);
        return r.body();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeGridPort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = ThreadLocalRandom.current().nextInt(40_000, 50_000);
            if (Stream.of(p, p + 100, p + 101, p + 102, p + 103).allMatch(JettyHomeModuleTest::free)) {
                return p;
            }
        }
        throw new IOException("no free port block");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
