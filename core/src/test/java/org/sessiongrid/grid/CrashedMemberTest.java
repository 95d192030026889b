package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import org.jgroups.Address;
import org.jgroups.EmptyMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.junit.jupiter.api.Test;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.suspicion.SuspectProbe;
import org.sessiongrid.transport.ClusterTransport;

/**
 * A member whose process is gone is excluded as soon as its closed socket is noticed, not after JGroups'
 * verification: two members in this JVM and a third in its own ({@link MemberProcess}), on the tcp stack over
 * loopback, verification set to {@value #VERIFY_MILLIS} ms so that it cannot be what excludes within the bound.
 * A stopped member is suspected the same way but its host still accepts connections: it is left to the
 * verification, and kept when it answers in time.
 */
class CrashedMemberTest {

    private static final long VERIFY_MILLIS = 3_000;
    /** FD_SOCK2's notice, the probe, the view: far below the verification. */
    private static final long BOUND_MILLIS = 1_000;

    private record Farm(String cluster, int[] ports, String hosts, SessionGrid a, SessionGrid b) implements AutoCloseable {

        static Farm start() throws Exception {
            String cluster = "crash-" + UUID.randomUUID();
            int[] ports = {ClusterSecretTest.freePort(), ClusterSecretTest.freePort(), ClusterSecretTest.freePort()};
            String hosts = Arrays.stream(ports).mapToObj(p -> "127.0.0.1[" + p + "]").collect(Collectors.joining(","));
            SessionGrid a = SessionGrid.start(member(cluster, "A", ports[0], hosts));
            try {
                return new Farm(cluster, ports, hosts, a, SessionGrid.start(member(cluster, "B", ports[1], hosts)));
            } catch (RuntimeException e) {
                a.halt();
                throw e;
            }
        }

        private static GridConfig member(String cluster, String name, int port, String hosts) {
            return ClusterSecretTest.tcp(cluster, name, port, hosts)
                    .stackProperty(StackLoader.VERIFY_SUSPECT_TIMEOUT, String.valueOf(VERIFY_MILLIS)).build();
        }

        MemberProcess startC() throws Exception {
            MemberProcess c = MemberProcess.start(cluster, "C", ports[2], hosts,
                    "-D" + StackLoader.VERIFY_SUSPECT_TIMEOUT + "=" + VERIFY_MILLIS);
            Await.until("A, B and C in one view and topology", Duration.ofSeconds(60), () -> a.isStable() && b.isStable()
                    && a.members().size() == 3 && b.members().size() == 3 && a.topologyId() == b.topologyId());
            // B watches C's socket (FD_SOCK2's ring follows the view: A -> B -> C -> A).
            Await.until("B's FD_SOCK2 connected to C", Duration.ofSeconds(30),
                    () -> fd(b).getPingDest().startsWith("C") && "CONNECTED".equals(fd(b).getClientState()),
                    () -> fd(b).getPingDest() + " " + fd(b).getClientState());
            return c;
        }

        @Override
        public void close() {
            b.halt();
            a.halt();
        }
    }

    private static JChannel channel(SessionGrid g) {
        return g.node().transport().channel();
    }

    private static FD_SOCK2 fd(SessionGrid g) {
        return channel(g).getProtocolStack().findProtocol(FD_SOCK2.class);
    }

    private static Address addressOf(SessionGrid g, String name) {
        return channel(g).getView().getMembers().stream().filter(m -> name.equals(ClusterTransport.memberOf(m).name())).findFirst().orElseThrow();
    }

    @Test
    void aKilledMemberIsExcludedAtOnceNotAfterTheVerification() throws Exception {
        try (Farm farm = Farm.start(); MemberProcess c = farm.startC()) {
            long t0 = System.nanoTime();
            c.process().destroyForcibly();
            Await.until("A and B install a view without C", Duration.ofSeconds(30),
                    () -> farm.a().members().size() == 2 && farm.b().members().size() == 2);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(millis < BOUND_MILLIS, "the view without the killed member came " + millis + " ms after the kill;"
                    + " the verification alone takes " + VERIFY_MILLIS + " ms");
            assertEquals(1, farm.a().metrics().getExitsProven(), "ExitsProven at the coordinator");
        }
    }

    @Test
    void aStoppedMemberWhosePingConnectionClosedIsLeftToTheVerificationAndKeptWhenItAnswers() throws Exception {
        try (Farm farm = Farm.start(); MemberProcess c = farm.startC()) {
            SuspectProbe probe = SuspectProbe.of(channel(farm.a()));
            Address cAddress = addressOf(farm.b(), "C");
            c.signal("STOP");
            try {
                // What B's FD_SOCK2 sends when its connection to C closes: a SUSPECT to every member, which the
                // coordinator's FD_SOCK2 passes up to the probe and VERIFY_SUSPECT2.
                FD_SOCK2 fd = fd(farm.b());
                Message suspect = new EmptyMessage().putHeader(fd.getId(),
                        new FD_SOCK2.FdHeader(FD_SOCK2.FdHeader.SUSPECT).mbrs(new ArrayList<>(List.of(cAddress))));
                fd.getDownProtocol().down(suspect);
                Await.until("A's probe of C ended", Duration.ofMillis(VERIFY_MILLIS / 2),
                        () -> probe.probesInconclusive() > 0 || probe.exitsProven() > 0);
                assertEquals(0, probe.exitsProven(), "a stopped member was taken for a dead one");
                assertEquals(3, farm.a().members().size(), "A's view " + farm.a().members());
            } finally {
                c.signal("CONT");
            }
            VERIFY_SUSPECT2 verifier = channel(farm.a()).getProtocolStack().findProtocol(VERIFY_SUSPECT2.class);
            Await.until("A's verification of C ended", Duration.ofSeconds(2 * VERIFY_MILLIS / 1_000 + 5),
                    () -> "[]".equals(verifier.getSuspects()), verifier::getSuspects);
            assertEquals(3, farm.a().members().size(), "C answered the verification, yet A's view is " + farm.a().members());
            assertEquals(3, farm.b().members().size(), "B's view " + farm.b().members());
            assertEquals(0, farm.a().metrics().getExitsProven(), "ExitsProven");
        }
    }
}
