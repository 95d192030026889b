package org.sessiongrid.bench.farm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child JVM (a contender node or redis-server) whose output goes to a log file. Stopped by its pid:
 * gracefully (SIGTERM, then SIGKILL after a deadline) or with {@link #kill9()}.
 */
public final class NodeProcess {

    private static final Logger LOG = LoggerFactory.getLogger(NodeProcess.class);

    private final String name;
    private final Path log;
    private final Process process;

    private NodeProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /** Starts {@code command}, its stdout and stderr written to {@code log} (emptied first: see awaitLine). */
    public static NodeProcess start(String name, List<String> command, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        LOG.debug("started {} pid {}: {}", name, p.pid(), command);
        return new NodeProcess(name, log, p);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** Waits until the log has a line starting with {@code marker}; fails when the process dies first. */
    public void awaitLine(String marker, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(marker))) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before '" + marker
                        + "'; its log " + log + " ends with:\n" + tail());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(name + " printed no '" + marker + "' within " + timeoutMillis
                        + " ms; its log " + log + " ends with:\n" + tail());
            }
            Thread.sleep(50);
        }
    }

    /** The last lines of the log, for error messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Waits for the process to exit and returns its exit code; kills it and fails after the deadline. */
    public int awaitExit(long timeoutMillis) throws InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            kill9();
            throw new IllegalStateException(name + " did not finish within " + timeoutMillis + " ms; its log " + log
                    + " ends with:\n" + tail());
        }
        return process.exitValue();
    }

    /** kill -9: no shutdown hook runs, sockets are closed by the kernel. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code graceMillis}. */
    public void stop(long graceMillis) throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
            LOG.warn("{} (pid {}) did not stop within {} ms: killed", name, process.pid(), graceMillis);
            kill9();
        }
    }
}
