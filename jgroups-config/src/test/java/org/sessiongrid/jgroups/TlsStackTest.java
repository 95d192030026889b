package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sessiongrid.jgroups.TestClusters.freePort;
import static org.sessiongrid.jgroups.TestClusters.tcpMember;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.jgroups.JChannel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tls stack with real certificates: trusted members form a cluster, others are refused. */
class TlsStackTest {

    @TempDir
    static Path keyDirectory;

    private static TestKeystores keystores;
    private static Path memberA;
    private static Path memberB;
    private static Path intruder;

    @BeforeAll
    static void createKeys() throws Exception {
        assumeTrue(TestKeystores.keytoolAvailable(), "this JDK has no keytool");
        keystores = new TestKeystores(keyDirectory);
        memberA = keystores.keyPair("member-a");
        memberB = keystores.keyPair("member-b");
        intruder = keystores.keyPair("intruder");
    }

    @Test
    void trustedMembersFormOneCluster() throws Exception {
        Path trusted = keystores.truststore("trusted", memberA, memberB);
        int first = freePort();
        int second = freePort();
        Properties a = tcpMember(first, first);
        a.putAll(TestKeystores.tlsProperties(memberA, trusted));
        Properties b = tcpMember(second, first);
        b.putAll(TestKeystores.tlsProperties(memberB, trusted));
        TestClusters.assertClusterForms(StackLoader.STACK_TLS, a, b);
    }

    /**
     * tls.client_auth=NEED: a member whose certificate the cluster does not trust stays alone, even
     * though it trusts the cluster's certificate itself.
     */
    @Test
    void memberWithUntrustedCertificateIsRefused() throws Exception {
        int first = freePort();
        int second = freePort();
        Properties member = tcpMember(first, first);
        member.putAll(TestKeystores.tlsProperties(memberA, keystores.truststore("cluster-trust", memberA)));
        Properties outsider = tcpMember(second, first);
        outsider.putAll(TestKeystores.tlsProperties(intruder,
                keystores.truststore("intruder-trust", memberA, intruder)));

        String cluster = TestClusters.uniqueClusterName(StackLoader.STACK_TLS);
        List<JChannel> channels = new ArrayList<>();
        try {
            JChannel a = StackLoader.newChannel(StackLoader.STACK_TLS, member).name("A");
            channels.add(a);
            a.connect(cluster);
            JChannel b = StackLoader.newChannel(StackLoader.STACK_TLS, outsider).name("Intruder");
            channels.add(b);
            // Joining is synchronous: had the handshake been accepted, the intruder would be in A's view now.
            b.connect(cluster);
            assertEquals(1, a.getView().size(), "the intruder was admitted");
            assertEquals(1, b.getView().size(), "the intruder was admitted");
        } finally {
            TestClusters.closeNewestFirst(channels);
        }
    }

    /**
     * An intruder that knows a member's address still cannot get a message delivered to it: its TLS
     * connection is refused, so the message never reaches the member's receiver. A trusted member's
     * message, sent after the intruder's, arrives: had the intruder's been deliverable it would have
     * had every chance to arrive first.
     */
    @Test
    void messageFromUntrustedMemberIsNotDelivered() throws Exception {
        Path trusted = keystores.truststore("trusted-pair", memberA, memberB);
        int first = freePort();
        int second = freePort();
        int third = freePort();
        Properties a = tcpMember(first, first);
        a.putAll(TestKeystores.tlsProperties(memberA, trusted));
        Properties b = tcpMember(second, first);
        b.putAll(TestKeystores.tlsProperties(memberB, trusted));
        Properties outsider = tcpMember(third, first);
        outsider.putAll(TestKeystores.tlsProperties(intruder, keystores.truststore("intruder-trust2", memberA, intruder)));
        String cluster = TestClusters.uniqueClusterName(StackLoader.STACK_TLS);
        List<JChannel> channels = new ArrayList<>();
        java.util.Queue<String> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try {
            JChannel ca = StackLoader.newChannel(StackLoader.STACK_TLS, a).name("A");
            channels.add(ca);
            ca.setReceiver(new org.jgroups.Receiver() {
                @Override
                public void receive(org.jgroups.Message msg) {
                    received.add(new String(msg.getArray(), msg.getOffset(), msg.getLength(),
                            java.nio.charset.StandardCharsets.UTF_8));
                }
            });
            ca.connect(cluster);
            JChannel cb = StackLoader.newChannel(StackLoader.STACK_TLS, b).name("B");
            channels.add(cb);
            cb.connect(cluster);
            JChannel intruderChannel = StackLoader.newChannel(StackLoader.STACK_TLS, outsider).name("Intruder");
            channels.add(intruderChannel);
            intruderChannel.connect(cluster);
            intruderChannel.send(new org.jgroups.BytesMessage(ca.getAddress(), "from-intruder"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            cb.send(new org.jgroups.BytesMessage(ca.getAddress(), "from-b".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (!received.contains("from-b") && System.nanoTime() < deadline) {
                Thread.sleep(20); // polling the receiver's queue for the control message, bounded
            }
            assertEquals(List.of("from-b"), new ArrayList<>(received), "only the trusted member's message arrives");
        } finally {
            TestClusters.closeNewestFirst(channels);
        }
    }
}
