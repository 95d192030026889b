package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.protocols.TP;
import org.jgroups.stack.IpAddress;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.jgroups.ChannelSecurity;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.WireCodec;

/**
 * Issue 18 end to end on the shipped tcp stack over loopback sockets: with {@code clusterSecret} a host
 * without the secret can neither join, read nor write; without one, a member refuses to listen on a
 * non-loopback address.
 */
class ClusterSecretTest {

    private static final String SECRET = "the-cluster-secret-of-this-test";
    private static final String NS = "localhost/app";
    private static final String LOOPBACK = "127.0.0.1";

    @TempDir
    Path dir;

    /**
     * Members in three JVMs of their own, next to two in this one: the one holding the secret joins the
     * grid; the ones with another secret or none reach the members (their messages are counted as
     * dropped) but never appear in any view of the grid's members, nor the grid's in theirs. The
     * separate JVMs make sure nothing in this JVM (SHARED_LOOPBACK, a static) carries a message.
     */
    @Test
    void onlyMembersWithTheSecretFormTheGridAcrossJvms() throws Exception {
        String cluster = "secret-" + UUID.randomUUID();
        int[] ports = {freePort(), freePort(), freePort(), freePort(), freePort()};
        String hosts = java.util.Arrays.stream(ports).mapToObj(p -> LOOPBACK + "[" + p + "]").collect(Collectors.joining(","));
        List<MemberProcess> processes = new ArrayList<>();
        Set<String> seenByGrid = ConcurrentHashMap.newKeySet();
        SessionGrid a = null;
        SessionGrid b = null;
        Thread watcher = null;
        try {
            a = SessionGrid.start(tcp(cluster, "A", ports[0], hosts).clusterSecret(SECRET).build());
            b = SessionGrid.start(tcp(cluster, "B", ports[1], hosts).clusterSecret(SECRET).build());
            SessionGrid[] grid = {a, b};
            watcher = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    for (SessionGrid g : grid) {
                        g.node().transport().viewMembers().forEach(m -> seenByGrid.add(m.name()));
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            watcher.setDaemon(true);
            watcher.start();

            MemberProcess c = started(processes, cluster, "C", ports[2], hosts, "-Dsessiongrid.clusterSecret=" + SECRET);
            MemberProcess d = started(processes, cluster, "D", ports[3], hosts,
                    "-Dsessiongrid.clusterSecret=not-the-cluster-secret-at-all");
            MemberProcess e = started(processes, cluster, "E", ports[4], hosts);

            SessionGrid first = a;
            Await.until("C in the grid's topology", Duration.ofSeconds(60), () -> first.topology() != null
                    && first.topology().current().members().stream().anyMatch(m -> m.name().equals("C")));
            Await.until("C sees A, B and C", Duration.ofSeconds(30), () -> c.lines().contains("members [A, B, C]"));
            Await.until("D and E started alone", Duration.ofSeconds(60),
                    () -> d.lines().contains("members [D]") && e.lines().contains("members [E]"));
            // Discovery runs again and MERGE3 looks for other coordinators every 1-2 s here: give both
            // several chances to let D or E in.
            Thread.sleep(6_000);

            assertEquals(Set.of("A", "B", "C"), seenByGrid, "members the grid ever had in a view");
            assertEquals(List.of("members [D]"), d.lines(), "views D ever had");
            assertEquals(List.of("members [E]"), e.lines(), "views E ever had");
            Map<String, Long> drops = a.stats().droppedByReason();
            assertTrue(drops.getOrDefault("other-secret", 0L) > 0, "A counted D's messages: " + drops);
            assertTrue(drops.getOrDefault("unsealed", 0L) > 0, "A counted E's messages: " + drops);
        } finally {
            if (watcher != null) {
                watcher.interrupt();
            }
            stop(processes);
            if (b != null) {
                b.halt();
            }
            if (a != null) {
                a.halt();
            }
        }
    }

    /**
     * A host on the network captures what a member sends while a session is committed through it, and
     * replays all of it at the session's primary; then it sends its own commit (an admin principal in
     * the container data, an attribute) as a grid request. The session is unchanged on every member
     * and each message is counted as dropped.
     */
    @Test
    void replayedAndForgedCommitsChangeNothingAndAreCounted() throws Exception {
        String cluster = "replay-" + UUID.randomUUID();
        int portA = freePort();
        int portB = freePort();
        String hosts = LOOPBACK + "[" + portA + "]," + LOOPBACK + "[" + portB + "]";
        SessionGrid a = SessionGrid.start(tcp(cluster, "A", portA, hosts).clusterSecret(SECRET).build());
        SessionGrid b = SessionGrid.start(tcp(cluster, "B", portB, hosts).clusterSecret(SECRET).build());
        try (JChannel attacker = StackLoader.newChannel("tcp", loopbackMember(freePort(), portA), ChannelSecurity.none())) {
            Await.until("A and B share a topology", Duration.ofSeconds(60), () -> a.topology() != null
                    && b.topology() != null && a.topology().id() == b.topology().id()
                    && a.topology().current().members().size() == 2);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            SessionRecord created = a.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800)
                    .set("user", utf8("alice")).build());

            // What B's sockets send to A while B commits a change to A's session.
            Address addressA = a.node().transport().channel().getAddress();
            Tap tap = new Tap(addressA);
            ProtocolStack stackB = b.node().transport().channel().getProtocolStack();
            stackB.insertProtocol(tap, ProtocolStack.Position.ABOVE, stackB.getTransport().getClass());
            SessionRecord committed = b.store(NS).commit(id, SessionDelta.builder().set("cart", new byte[1024]).build(),
                    b.store(NS).find(id, created));
            stackB.removeProtocol(tap);
            assertTrue(tap.captured.stream().anyMatch(m -> m.getLength() > 1024), "the commit was captured");
            SessionRecord before = a.store(NS).find(id, null);
            assertEquals(committed.version(), before.version());

            // The attacker's transport reaches A's port directly, as any host on the network could.
            attacker.connect(cluster);
            TP transport = attacker.getProtocolStack().getTransport();
            transport.addPhysicalAddressToCache(addressA, new IpAddress(LOOPBACK, portA));
            long replayedBefore = a.stats().droppedByReason().getOrDefault("replayed", 0L);
            for (Message captured : tap.captured) {
                transport.down(captured.copy(true, true));
            }
            CommitRequest forged = new CommitRequest(a.topologyId(), new SessionKey(NS, id), CommitKind.UPDATE,
                    before.version(), SessionDelta.builder().set("user", utf8("mallory"))
                    .containerData(utf8("principal=admin;roles=manager-gui,admin")).build(), 0, 4242, null, 0);
            long unsealedBefore = a.stats().droppedByReason().getOrDefault("unsealed", 0L);
            MessageDispatcher dispatcher = new MessageDispatcher(attacker);
            Object reply;
            try {
                reply = dispatcher.sendMessage(new BytesMessage(addressA, new WireCodec(16 * 1024 * 1024).encode(forged)),
                        RequestOptions.SYNC().timeout(3_000));
            } catch (java.util.concurrent.TimeoutException expected) {
                reply = null;
            }
            assertEquals(null, reply, "A answered the forged commit");

            Await.until("A counted every replayed message", Duration.ofSeconds(10),
                    () -> a.stats().droppedByReason().getOrDefault("replayed", 0L) - replayedBefore == tap.captured.size(),
                    () -> tap.captured.size() + " captured, drops " + a.stats().droppedByReason());
            assertTrue(a.stats().droppedByReason().getOrDefault("unsealed", 0L) > unsealedBefore,
                    "A counted the forged commit (and JGroups' retransmissions of it): " + a.stats().droppedByReason());
            assertEquals(0L, a.stats().droppedByReason().getOrDefault("other-secret", 0L), "a plain message is unsealed");
            for (SessionGrid g : List.of(a, b)) {
                SessionRecord now = g.store(NS).find(id, null);
                assertEquals(before.version(), now.version(), "version through " + g.memberName());
                assertEquals("alice", new String(now.attribute("user"), StandardCharsets.UTF_8));
                SessionRecord held = g.node().records().get(new SessionKey(NS, id));
                assertNotNull(held);
                assertEquals(before.version(), held.version(), g.memberName() + "'s copy");
            }
        } finally {
            b.halt();
            a.halt();
        }
    }

    /** Protected mode, in a JVM of its own (this one's -Djgroups.bind_addr would hide the address). */
    @Test
    void aMemberWithoutSecretOnANonLoopbackAddressRefusesToStart() throws Exception {
        String lan = nonLoopbackAddress();
        assumeTrue(lan != null, "this host has no non-loopback IPv4 address");
        List<MemberProcess> processes = new ArrayList<>();
        try {
            int port = freePort();
            MemberProcess refused = started(processes, "protected-" + UUID.randomUUID(), "P", port, lan + "[" + port + "]",
                    "-Dsessiongrid.bindAddress=" + lan);
            assertTrue(refused.process().waitFor(60, TimeUnit.SECONDS), "the member did not stop");
            assertEquals(3, refused.process().exitValue(), "exit status; output " + refused.lines());
            String message = refused.lines().get(0);
            assertTrue(message.startsWith("refused "), message);
            assertTrue(message.contains("would listen on " + lan), message);
            assertTrue(message.contains("clusterSecret"), message);
            assertTrue(message.contains("clusterSecretFile"), message);
            assertTrue(message.contains("security=none"), message);
        } finally {
            stop(processes);
        }
    }

    @Test
    void secretSettingsAreReadAndCheckedWithoutQuotingTheSecret() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "# new secret first, old one second while rotating\n  " + SECRET + "  \n\nthe-old-cluster-secret-xyz\n");
        GridConfig fromFile = GridConfig.builder("shop").set("clusterSecretFile", file.toString()).build();
        assertEquals(List.of(SECRET, "the-old-cluster-secret-xyz"), fromFile.clusterSecrets());
        assertTrue(fromFile.isSealed());
        assertFalse(fromFile.toString().contains(SECRET));
        assertEquals(List.of(SECRET), GridConfig.builder("shop").setAll(Map.of("sessiongrid.clusterSecret", SECRET))
                .build().clusterSecrets());
        assertFalse(GridConfig.builder("shop").build().isSealed());
        assertEquals(GridConfig.Security.NONE, GridConfig.builder("shop").set("security", "none").build().security());

        String shortSecret = assertThrows(IllegalArgumentException.class,
                () -> GridConfig.builder("shop").clusterSecret("tooshort").build()).getMessage();
        assertTrue(shortSecret.contains("16 characters") && !shortSecret.contains("tooshort"), shortSecret);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GridConfig.builder("shop").clusterSecret(SECRET)
                .clusterSecretFile(file.toString()).build()).getMessage().contains("set one of them"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GridConfig.builder("shop").clusterSecret(SECRET)
                .set("security", "none").build()).getMessage().contains("contradict"));
        String missing = assertThrows(IllegalArgumentException.class, () -> GridConfig.builder("shop")
                .clusterSecretFile(dir.resolve("nope").toString()).build()).getMessage();
        assertTrue(missing.contains("clusterSecretFile") && missing.contains("cannot be read"), missing);
    }

    /** Records copies of the messages its member sends to one destination, as they leave for the wire. */
    private static final class Tap extends Protocol {
        final List<Message> captured = new CopyOnWriteArrayList<>();
        private final Address to;

        Tap(Address to) {
            this.to = to;
        }

        @Override
        public Object down(Message msg) {
            if (to.equals(msg.getDest())) {
                captured.add(msg.copy(true, true));
            }
            return down_prot.down(msg);
        }
    }

    private static MemberProcess started(List<MemberProcess> processes, String cluster, String name, int port,
                                         String hosts, String... extra) throws IOException {
        MemberProcess p = MemberProcess.start(cluster, name, port, hosts, extra);
        processes.add(p);
        return p;
    }

    /** Stops every member process by its PID. */
    private static void stop(List<MemberProcess> processes) throws InterruptedException {
        for (MemberProcess p : processes) {
            p.close();
        }
    }

    static GridConfig.Builder tcp(String cluster, String name, int port, String hosts) {
        GridConfig.Builder builder = GridConfig.builder(cluster).stack("tcp").nodeName(name).remoteTimeout(10_000);
        loopbackMember(port, -1).forEach((k, v) -> builder.stackProperty((String) k, (String) v));
        return builder.stackProperty(StackLoader.INITIAL_HOSTS, hosts)
                .stackProperty(StackLoader.MERGE_MIN_INTERVAL, "1000").stackProperty(StackLoader.MERGE_MAX_INTERVAL, "2000");
    }

    private static java.util.Properties loopbackMember(int port, int seedPort) {
        java.util.Properties p = new java.util.Properties();
        p.setProperty(StackLoader.BIND_ADDRESS, LOOPBACK);
        p.setProperty(StackLoader.BIND_PORT, Integer.toString(port));
        p.setProperty(StackLoader.PORT_RANGE, "0");
        if (seedPort > 0) {
            p.setProperty(StackLoader.INITIAL_HOSTS, LOOPBACK + "[" + seedPort + "]");
        }
        return p;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }

    private static String nonLoopbackAddress() throws IOException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (InetAddress address : Collections.list(nif.getInetAddresses())) {
                    if (address instanceof Inet4Address) {
                        return address.getHostAddress();
                    }
                }
            }
        }
        return null;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
