package org.sessiongrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sessiongrid.it.node.StackMemberProcess;
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
            List<StackMemberProcess> members = new ArrayList<>();
            try {
                for (int slot = 1; slot <= size; slot++) {
                    members.add(new StackMemberProcess(slot, stack, "m" + slot, List.of(
                            StackLoader.BIND_ADDRESS + "=" + NetRig.address(slot),
                            StackLoader.BIND_PORT + "=" + PORT,
                            StackLoader.PORT_RANGE + "=0",
                            StackLoader.INITIAL_HOSTS + "=" + hosts)));
                }
                for (StackMemberProcess m : members) {
                    m.await("a view of 3 and a ping connection", FORMATION_DEADLINE_MILLIS,
                            s -> s.view() == 3 && s.fd().equals("CONNECTED"));
                }
                for (StackMemberProcess m : members) {
                    assertEquals(0, m.last().suspected(), m.name() + " suspected a live member (FD_SOCK2 connections mixed up)");
                }

                StackMemberProcess killed = members.get(members.size() - 1);
                killed.process().destroyForcibly();
                List<StackMemberProcess> survivors = members.subList(0, members.size() - 1);
                for (StackMemberProcess m : survivors) {
                    m.await("the killed member excluded", DETECTION_DEADLINE_MILLIS, s -> s.view() == 2);
                }
            } finally {
                for (StackMemberProcess m : members) {
                    m.stop();
                }
            }
        }
    }
}
