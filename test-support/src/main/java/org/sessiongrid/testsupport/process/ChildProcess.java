package org.sessiongrid.testsupport.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.sessiongrid.testsupport.node.NodeMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started child process (a node's JVM, redis-server, ...) whose stdout and stderr are appended to a
 * log file. Every wait has a deadline and fails naming what it waited for and the end of this start's
 * output; every stop goes to the process by its PID.
 */
public final class ChildProcess {

    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    private static final long POLL_MILLIS = 50;

    private final String name;
    private final Path log;
    private final long logStart;
    private final Process process;

    private ChildProcess(String name, Path log, long logStart, Process process) {
        this.name = name;
        this.log = log;
        this.logStart = logStart;
        this.process = process;
    }

    /**
     * Starts {@code command}, its output appended to {@code log} (a restarted node keeps one log; the
     * waits read this start's lines only).
     */
    public static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        Path parent = log.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        long start = Files.exists(log) ? Files.size(log) : 0;
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        LOG.debug("started {} pid {}: {}", name, p.pid(), command);
        return new ChildProcess(name, log, start, p);
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

    /** The process itself (its PID is the child's, even behind an exec'ing prefix). */
    public Process process() {
        return process;
    }

    public Path log() {
        return log;
    }

    /** What this start has written so far. */
    public String output() {
        try {
            if (!Files.exists(log)) {
                return "";
            }
            byte[] all = Files.readAllBytes(log);
            int from = (int) Math.min(logStart, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last 30 lines of this start's output, for messages. */
    public String tail() {
        List<String> lines = output().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /**
     * Waits for this start's {@code READY <name>} line ({@link NodeMain}); fails at once on its
     * {@code FAILED} line or when the process exits first, and at the deadline.
     */
    public void awaitReady(Duration timeout) throws InterruptedException {
        String ready = NodeMain.readyLine(name);
        awaitOutput("'" + ready + "'", timeout, line -> line.equals(ready) || line.startsWith(ready + " "),
                line -> line.startsWith(NodeMain.FAILED));
    }

    /** Waits for a line of this start that begins with {@code prefix}; fails when the process exits first. */
    public void awaitLine(String prefix, Duration timeout) throws InterruptedException {
        await("a line starting with '" + prefix + "'", timeout, line -> line.startsWith(prefix));
    }

    /** Waits for a line of this start that {@code matches}, named {@code what}; fails when the process exits first. */
    public void await(String what, Duration timeout, Predicate<String> matches) throws InterruptedException {
        awaitOutput(what, timeout, matches, line -> false);
    }

    private void awaitOutput(String what, Duration timeout, Predicate<String> done,
                             Predicate<String> failed) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> lines = output().lines().toList();
            if (lines.stream().anyMatch(done)) {
                return;
            }
            if (lines.stream().anyMatch(failed)) {
                throw new IllegalStateException(name + " did not start; its log " + log + " ends with:\n" + tail());
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before " + what
                        + "; its log " + log + " ends with:\n" + tail());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(name + " printed no " + what + " within " + timeout.toMillis()
                        + " ms; its log " + log + " ends with:\n" + tail());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Waits for the process to exit and returns its exit code; kills it and fails at the deadline. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new IllegalStateException(name + " did not finish within " + timeout.toMillis() + " ms; its log "
                    + log + " ends with:\n" + tail());
        }
        return process.exitValue();
    }

    /** SIGKILL without waiting for the process to end (it ends a SIGSTOPped process too). */
    public void sigkill() {
        process.destroyForcibly();
    }

    /** kill -9 and wait until it is gone: no shutdown hook runs, the kernel closes its sockets. */
    public void kill() throws InterruptedException {
        sigkill();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " (pid " + pid() + ") survived SIGKILL for 30 s");
        }
    }

    /**
     * SIGTERM (the node stops gracefully), then SIGKILL if it has not exited within {@code grace}.
     *
     * @return true if it exited within {@code grace}
     */
    public boolean stop(Duration grace) throws InterruptedException {
        if (!process.isAlive()) {
            return true;
        }
        process.destroy();
        if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        LOG.warn("{} (pid {}) did not stop within {} ms of SIGTERM: killed", name, pid(), grace.toMillis());
        kill();
        return false;
    }

    @Override
    public String toString() {
        return name + " pid " + pid();
    }
}
