package org.sessiongrid.it.rig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the rig's system commands (ip, iptables, kill) and fails with the command and its output. */
public final class Cmd {

    private Cmd() {
    }

    /** The result of a command. */
    public record Result(List<String> command, int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs and returns the result, whatever the exit code. */
    public static Result run(String... command) {
        return run(Arrays.asList(command));
    }

    public static Result run(List<String> command) {
        return run(command, "");
    }

    /** Runs with {@code input} on its standard input and returns the result, whatever the exit code. */
    public static Result run(List<String> command, String input) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (var in = p.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = p.getInputStream().readAllBytes(); // commands here are short and bounded
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(command, -1, "timed out after 30 s");
            }
            return new Result(command, p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(command, -1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(command, -1, "interrupted");
        }
    }

    /** Runs and throws IllegalStateException naming the command and its output unless it exits with 0. */
    public static String check(String... command) {
        Result r = run(command);
        if (!r.ok()) {
            throw new IllegalStateException("command failed (exit " + r.exitCode() + "): " + String.join(" ", command)
                    + "\n" + r.output());
        }
        return r.output();
    }

    /** {@code ip netns exec <ns> <command...>}. */
    public static List<String> inNs(String ns, String... command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(Arrays.asList(command));
        return c;
    }

    public static String checkInNs(String ns, String... command) {
        return check(inNs(ns, command).toArray(String[]::new));
    }
}
