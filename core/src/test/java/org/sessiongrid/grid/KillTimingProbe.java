package org.sessiongrid.grid;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.sessiongrid.jgroups.StackLoader;

/**
 * A measurement, not a check (off unless {@code -Dprobe.kill=true}): how long after a SIGKILL of a member of the
 * {@code tcp} stack (its own JVM) the two survivors in this JVM install a view and a topology without it, for each
 * {@code verifySuspectTimeout} in {@code -Dprobe.verify} (default {@code 1000,250}), {@code -Dprobe.rounds} kills
 * each (default 4). Prints one {@code PROBE} line per setting. docs/design.md, "A silent member", quotes a run:
 * <pre>
 * mvn -B -o -pl jgroups-config,core test -Dtest=KillTimingProbe -Dprobe.kill=true -Dprobe.verify=1000,500,250 \
 *     -Dprobe.rounds=5 -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@EnabledIfSystemProperty(named = "probe.kill", matches = "true")
class KillTimingProbe {

    @Test
    void measure() throws Exception {
        for (String verify : System.getProperty("probe.verify", "1000,250").split(",")) {
            String cluster = "kill-" + UUID.randomUUID();
            int[] ports = {ClusterSecretTest.freePort(), ClusterSecretTest.freePort(), ClusterSecretTest.freePort()};
            String hosts = java.util.Arrays.stream(ports).mapToObj(p -> "127.0.0.1[" + p + "]")
                    .collect(java.util.stream.Collectors.joining(","));
            SessionGrid a = SessionGrid.start(ClusterSecretTest.tcp(cluster, "A", ports[0], hosts)
                    .stackProperty(StackLoader.VERIFY_SUSPECT_TIMEOUT, verify).build());
            SessionGrid b = SessionGrid.start(ClusterSecretTest.tcp(cluster, "B", ports[1], hosts)
                    .stackProperty(StackLoader.VERIFY_SUSPECT_TIMEOUT, verify).build());
            List<String> results = new ArrayList<>();
            try {
                for (int round = 0; round < Integer.getInteger("probe.rounds", 4); round++) {
                    try (MemberProcess c = MemberProcess.start(cluster, "C", ports[2], hosts,
                            "-D" + StackLoader.VERIFY_SUSPECT_TIMEOUT + "=" + verify)) {
                        Await.until("3 stable", Duration.ofSeconds(60), () -> a.isStable() && b.isStable()
                                && a.members().size() == 3 && b.members().size() == 3 && a.topologyId() == b.topologyId());
                        // FD_SOCK2 connects its ring after the view; give it the moment it needs, as a farm has.
                        Thread.sleep(1000);
                        long t0 = System.nanoTime();
                        c.process().destroyForcibly();
                        Await.until("view drops C", Duration.ofSeconds(30), () -> a.members().size() == 2 && b.members().size() == 2);
                        long view = (System.nanoTime() - t0) / 1_000_000;
                        Await.until("topology drops C", Duration.ofSeconds(30), () -> a.topology().members().size() == 2
                                && b.topology() != null && b.topology().members().size() == 2);
                        long topo = (System.nanoTime() - t0) / 1_000_000;
                        results.add("view " + view + " ms, topology " + topo + " ms");
                    }
                }
            } finally {
                b.halt();
                a.halt();
            }
            System.out.println("PROBE verifySuspectTimeout=" + verify + ": " + results);
        }
    }
}
