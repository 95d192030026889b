package org.sessiongrid.demo;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.CookieManager;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The demo farm started as a user starts it: the launcher in its own JVM, which starts the node JVMs.
 * {@link #close()} stops it with SIGTERM (what Ctrl-C does) and kills by PID whatever survived.
 */
final class DemoProcess implements AutoCloseable {

    final int port;
    final Process launcher;
    final Path work;
    private final StringBuffer output = new StringBuffer();

    private DemoProcess(int port, Process launcher, Path work) {
        this.port = port;
        this.launcher = launcher;
        this.work = work;
    }

    /** @param options further DemoFarm options, as {@code -Ddemo.args} passes them (e.g. {@code --jetty}) */
    static DemoProcess start(String name, String... options) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path work = Path.of(System.getProperty("sessiongrid.test.work"), name);
        Path classes = Path.of(System.getProperty("sessiongrid.demo.classes"));
        Path cpFile = Path.of(System.getProperty("sessiongrid.demo.classpathFile"));
        List<String> cp = new ArrayList<>(List.of(classes.toString()));
        for (String e : Files.readString(cpFile).trim().split(File.pathSeparator)) {
            if (!Path.of(e).getFileName().toString().startsWith("tomcat-")) {
                cp.add(e);
            }
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true",
                "-Djava.util.logging.SimpleFormatter.format=%1$tT %4$s %5$s%6$s%n",
                "-Dsessiongrid.demo.classes=" + classes, "-Dsessiongrid.demo.classpathFile=" + cpFile,
                "-cp", String.join(File.pathSeparator, cp), "org.sessiongrid.demo.DemoFarm", "--port",
                String.valueOf(port), "--work", work.toString()));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        DemoProcess d = new DemoProcess(port, p, work);
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    d.output.append(line).append('\n');
                }
            } catch (IOException e) {
                // launcher gone
            }
        }, "demo-output");
        pump.setDaemon(true);
        pump.start();
        try {
            await(() -> "the demo farm prints that it is ready:\n" + d.output, 150, () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("the demo launcher exited (" + p.exitValue() + "):\n" + d.output);
                }
                return d.output.indexOf(DemoFarm.READY_LINE) >= 0;
            });
        } catch (Throwable t) {
            d.close();
            throw t;
        }
        return d;
    }

    String url(String path) {
        return "http://localhost:" + port + path;
    }

    String output() {
        return output.toString();
    }

    /** GET of a path through the balancer, as a client without cookies; fails on anything but 200. */
    String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = User.CONTROL.send(HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** The farm's status JSON. */
    @SuppressWarnings("unchecked")
    Map<String, Object> status() throws IOException, InterruptedException {
        HttpResponse<String> r = User.CONTROL.send(HttpRequest.newBuilder(URI.create(url("/demo/status")))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return (Map<String, Object>) Json.parse(r.body());
    }

    /** A demo control (kill, start, add, mode); fails on an error answer. */
    @SuppressWarnings("unchecked")
    Map<String, Object> control(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = User.CONTROL.send(HttpRequest.newBuilder(URI.create(url("/demo/" + pathAndQuery)))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("POST /demo/" + pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
        }
        return (Map<String, Object>) Json.parse(r.body());
    }

    /** Every process of the demo: the launcher and its descendants (the nodes). */
    List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>(launcher.descendants().toList());
        all.add(launcher.toHandle());
        return all;
    }

    /** SIGTERM to the launcher, as Ctrl-C would; true if it exited in time by itself. */
    boolean stop(long seconds) throws InterruptedException {
        // Through the handle: Process.destroy() would also close our end of its output pipe.
        launcher.toHandle().destroy();
        return launcher.waitFor(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        List<ProcessHandle> all = processes();
        launcher.toHandle().destroy();
        try {
            launcher.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        all.forEach(ProcessHandle::destroyForcibly);
    }

    /** Waits for a condition with a deadline; the message says what did not happen. */
    static void await(java.util.function.Supplier<String> what, long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + " s waiting until " + what.get());
            }
            Thread.sleep(100);
        }
    }

    /** A browser-like client with its own cookies. */
    static final class User {
        static final HttpClient CONTROL = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(5)).build();
        final String name;

        User(String name) {
            this.name = name;
        }

        /**
         * The route at the end of the session cookie the user holds ({@code ID.n2} -> n2), the one the
         * sticky balancer follows; null without a cookie.
         */
        String cookieRoute() {
            return ((CookieManager) http.cookieHandler().orElseThrow()).getCookieStore().getCookies().stream()
                    .filter(c -> c.getName().equals("JSESSIONID")).map(c -> c.getValue())
                    .map(v -> v.substring(v.lastIndexOf('.') + 1)).findFirst().orElse(null);
        }

        /** POST /app/api/counter: {node, sessionId, counter}; fails on anything but 200. */
        @SuppressWarnings("unchecked")
        Map<String, Object> increment(DemoProcess demo) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(demo.url("/app/api/counter")))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError(name + ": POST /app/api/counter answered " + r.statusCode() + ": " + r.body());
            }
            Map<String, Object> m = (Map<String, Object>) Json.parse(r.body());
            if (!m.get("node").equals(r.headers().firstValue("X-SessionGrid-Node").orElse(null))) {
                throw new AssertionError("the node that answered (" + m.get("node")
                        + ") is not the one the balancer chose: " + r.headers().map());
            }
            return m;
        }
    }
}
