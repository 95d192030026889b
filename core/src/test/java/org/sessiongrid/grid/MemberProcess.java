package org.sessiongrid.grid;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A grid member in its own JVM ({@link MemberMain}) on the tcp stack over loopback, with what it printed:
 * for tests that need a member no shortcut inside this JVM can reach (the cluster secret), or one that
 * can be stopped for real (SIGSTOP). {@link #close()} kills it by its PID.
 */
final class MemberProcess implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Writer commands;

    private MemberProcess(Process process) {
        this.process = process;
        this.commands = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("members ") || line.startsWith("refused ") || line.startsWith("read ")) {
                        lines.add(line);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts member {@code name} of {@code cluster} on {@code port}, {@code extra} JVM options last. */
    static MemberProcess start(String cluster, String name, int port, String hosts, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dsessiongrid.clusterName=" + cluster, "-Dsessiongrid.stack=tcp", "-Dsessiongrid.nodeName=" + name,
                "-Dsessiongrid.bindAddress=" + LOOPBACK, "-Dsessiongrid.bindPort=" + port,
                "-Dsessiongrid.portRange=0", "-Dsessiongrid.initialHosts=" + hosts,
                "-Dsessiongrid.mergeMinInterval=1000", "-Dsessiongrid.mergeMaxInterval=2000",
                "-Dsessiongrid.joinTimeout=20000"));
        cmd.addAll(List.of(extra));
        cmd.add(MemberMain.class.getName());
        return new MemberProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    Process process() {
        return process;
    }

    /** Sends {@code read <namespace> <id>}; the answer arrives in {@link #lines} as {@code read <id> ...}. */
    void read(String namespace, String id) {
        try {
            commands.write("read " + namespace + " " + id + "\n");
            commands.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("member " + process.pid() + " takes no more commands", e);
        }
    }

    /** What the member answered to the reads of {@code id} so far, in order (the part after the id). */
    List<String> answers(String id) {
        String prefix = "read " + id + " ";
        return lines.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    }

    /** Sends a signal by name (STOP, CONT) to the member's PID. */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** Waits until the member printed a line equal to {@code line}. */
    void awaitLine(String line, Duration timeout) {
        Await.until(process.pid() + " printed '" + line + "'", timeout, () -> lines.contains(line), lines::toString);
    }

    /** Stops it by its PID: SIGTERM, then SIGKILL after 10 s (what ends a stopped process too). */
    @Override
    public void close() throws InterruptedException {
        process.toHandle().destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
