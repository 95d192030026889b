package org.sessiongrid.it.node;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.sessiongrid.it.rig.NetRig;

/**
 * A {@link StackMember} in a JVM of its own inside a rig namespace, and the last status line it
 * printed. Tests of the shipped stacks wait on its status with a deadline and stop it by PID.
 */
public final class StackMemberProcess {

    private static final Pattern STATUS = Pattern.compile("status view=(\\d+) fd=(\\w+) suspected=(\\d+)");

    /** One status line: view size, FD_SOCK2's client state, members FD_SOCK2 ever suspected. */
    public record Status(int view, String fd, int suspected) {
    }

    private final String name;
    private final Process process;
    private final BufferedReader out;
    private final StringBuilder transcript = new StringBuilder();
    private Status last = new Status(0, "none", 0);

    /**
     * Starts the member in slot {@code slot}'s namespace ({@code ip netns exec} execs java, so the process
     * is the JVM and the rig can kill what is left by PID).
     *
     * @param properties {@code key=value} stack properties
     */
    public StackMemberProcess(int slot, String stack, String name, List<String> properties) throws IOException {
        this.name = name;
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NetRig.ns(slot),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", classpath, StackMember.class.getName(), stack, name));
        cmd.addAll(properties);
        this.process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    public String name() {
        return name;
    }

    public Process process() {
        return process;
    }

    public Status last() {
        return last;
    }

    /** Reads status lines until one satisfies {@code condition}; fails with the transcript at the deadline. */
    public void await(String what, long deadlineMillis, Predicate<Status> condition)
            throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        while (System.nanoTime() < end) {
            if (!out.ready()) {
                if (!process.isAlive() && !out.ready()) {
                    fail(name + " exited with " + process.exitValue() + " waiting for " + what + ":\n" + transcript);
                }
                TimeUnit.MILLISECONDS.sleep(20);
                continue;
            }
            String line = out.readLine();
            Matcher m = STATUS.matcher(line);
            if (m.matches()) {
                last = new Status(Integer.parseInt(m.group(1)), m.group(2), Integer.parseInt(m.group(3)));
                if (condition.test(last)) {
                    return;
                }
            } else if (transcript.length() < 20_000) {
                transcript.append(line).append('\n');
            }
        }
        fail(name + ": no " + what + " within " + deadlineMillis + " ms; last " + last + "\n" + transcript);
    }

    /** SIGKILL, and waits for the process to be gone. */
    public void stop() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
