package org.sessiongrid.grid;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;

/**
 * A grid member in its own JVM ({@link MemberMain}) on the tcp stack over loopback, started and stopped
 * by test-support's launcher, with what it printed (its log is {@code target/member-logs/<cluster>-<name>.log}):
 * for tests that need a member no shortcut inside this JVM can reach (the cluster secret), or one that can
 * be stopped for real (SIGSTOP). {@link #close()} stops it by its PID.
 */
final class MemberProcess implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final ChildProcess child;
    private final Reaper reaper;

    private MemberProcess(ChildProcess child, Reaper reaper) {
        this.child = child;
        this.reaper = reaper;
    }

    /** Starts member {@code name} of {@code cluster} on {@code port}, {@code extra} JVM options last. */
    static MemberProcess start(String cluster, String name, int port, String hosts, String... extra) throws IOException {
        JavaCommand cmd = JavaCommand.of(MemberMain.class)
                .options("-Xmx128m", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true")
                .classpath(System.getProperty("java.class.path"))
                .property("org.slf4j.simpleLogger.defaultLogLevel", "warn")
                .property("sessiongrid.clusterName", cluster).property("sessiongrid.stack", "tcp")
                .property("sessiongrid.nodeName", name)
                .property("sessiongrid.bindAddress", LOOPBACK).property("sessiongrid.bindPort", port)
                .property("sessiongrid.portRange", 0).property("sessiongrid.initialHosts", hosts)
                .property("sessiongrid.mergeMinInterval", 1000).property("sessiongrid.mergeMaxInterval", 2000)
                .property("sessiongrid.joinTimeout", 20000)
                .lastOptions(List.of(extra));
        Reaper reaper = new Reaper("member-process-reaper");
        Path log = Path.of("target", "member-logs", cluster + "-" + name + ".log");
        return new MemberProcess(reaper.track(ChildProcess.start(name, cmd.toList(), log)), reaper);
    }

    Process process() {
        return child.process();
    }

    /** What the member printed of its protocol so far ({@code members ...}, {@code refused ...}, {@code read ...}). */
    List<String> lines() {
        return child.output().lines()
                .filter(l -> l.startsWith("members ") || l.startsWith("refused ") || l.startsWith("read "))
                .toList();
    }

    /** Sends {@code read <namespace> <id>}; the answer arrives in {@link #lines} as {@code read <id> ...}. */
    void read(String namespace, String id) {
        try {
            OutputStream commands = child.process().getOutputStream();
            commands.write(("read " + namespace + " " + id + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("member " + child + " takes no more commands", e);
        }
    }

    /** What the member answered to the reads of {@code id} so far, in order (the part after the id). */
    List<String> answers(String id) {
        String prefix = "read " + id + " ";
        return lines().stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    }

    /** Sends a signal by name (STOP, CONT) to the member's PID. */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(child.pid())).inheritIO().start();
        if (!kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + child.pid() + " failed");
        }
    }

    /** Stops it by its PID: SIGTERM, then SIGKILL after 10 s (what ends a stopped process too). */
    @Override
    public void close() throws InterruptedException {
        try {
            child.stop(Duration.ofSeconds(10));
        } finally {
            reaper.close();
        }
    }
}
