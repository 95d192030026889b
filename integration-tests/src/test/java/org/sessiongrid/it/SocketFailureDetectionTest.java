package org.sessiongrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sessiongrid.it.node.StackMember;
import org.sessiongrid.it.rig.NetRig;
import org.sessiongrid.jgroups.StackLoader;

/**
 * FD_SOCK2 of the shipped stacks on a farm's layout: members on different hosts (a rig namespace
 * each), all on the same port, each in a JVM of its own. Every member must hold a ping
 * connection to its neighbour without suspecting anyone, and a killed member must be excluded
 * through its closed socket, before the heartbeat timeout could have excluded it. Both failed while
 * FD_SOCK2 listened on the wildcard address: every member named itself by this host's name, the
 * same for all, so no ping connection formed and suspicions came and went on every view change.
 */
@Tag("short")
class SocketFailureDetectionTest {

    private static final int PORT = 7800;

    private static final Pattern STATUS = Pattern.compile("status view=(\\d+) fd=(\\w+) suspected=(\\d+)");
    /**
     * Below the shipped heartbeat timeout (FD_ALL3, 10 s): a member excluded later than this was found by
     * heartbeats, not by its closed socket (VERIFY_SUSPECT2's 1 s plus a view installation).
     */
    private static final long DETECTION_DEADLINE_MILLIS = 8_000;
    private static final long FORMATION_DEADLINE_MILLIS = 30_000;

    @BeforeAll
    static void rigAllowed() {
        Assumptions.assumeFalse(Boolean.getBoolean("faults.skip"), "fault tests skipped (-Dfaults.skip=true)");
    }

    /** tcp; the other shipped stacks configure FD_SOCK2 the same way (jgroups-config's ShippedStacksTest). */
    @Test
    void pingConnectionsFormAndAKilledMemberIsExcludedByItsClosedSocket() throws Exception {
        String stack = StackLoader.STACK_TCP;
        int size = 3;
        StringBuilder hosts = new StringBuilder();
        for (int slot = 1; slot <= size; slot++) {
            hosts.append(hosts.isEmpty() ? "" : ",").append(NetRig.address(slot)).append('[').append(PORT).append(']');
        }
        try (NetRig rig = NetRig.create(size)) {
            List<Member> members = new ArrayList<>();
            try {
                for (int slot = 1; slot <= size; slot++) {
                    members.add(new Member(slot, stack, "m" + slot, List.of(
                            StackLoader.BIND_ADDRESS + "=" + NetRig.address(slot),
                            StackLoader.BIND_PORT + "=" + PORT,
                            StackLoader.PORT_RANGE + "=0",
                            StackLoader.INITIAL_HOSTS + "=" + hosts)));
                }
                for (Member m : members) {
                    m.await("a view of 3 and a ping connection", FORMATION_DEADLINE_MILLIS,
                            s -> s.view == 3 && s.fd.equals("CONNECTED"));
                }
                for (Member m : members) {
                    assertEquals(0, m.last.suspected, m.name + " suspected a live member (FD_SOCK2 connections mixed up)");
                }

                Member killed = members.get(members.size() - 1);
                killed.process.destroyForcibly();
                List<Member> survivors = members.subList(0, members.size() - 1);
                for (Member m : survivors) {
                    m.await("the killed member excluded", DETECTION_DEADLINE_MILLIS, s -> s.view == 2);
                }
            } finally {
                for (Member m : members) {
                    m.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    private record Status(int view, String fd, int suspected) {
    }

    /** A member process and the last status line it printed. */
    private static final class Member {
        final String name;
        final Process process;
        final BufferedReader out;
        final StringBuilder transcript = new StringBuilder();
        Status last = new Status(0, "none", 0);

        Member(int slot, String stack, String name, List<String> properties) throws IOException {
            this.name = name;
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            // ip netns exec execs java: the process is the JVM, and the rig kills what is left by PID.
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NetRig.ns(slot),
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", classpath, StackMember.class.getName(), stack, name));
            cmd.addAll(properties);
            this.process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Reads status lines until one satisfies {@code condition}; fails with the transcript at the deadline. */
        void await(String what, long deadlineMillis, Predicate<Status> condition) throws IOException, InterruptedException {
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
    }
}
