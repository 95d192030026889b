package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.jgroups.JChannel;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.conf.XmlConfigurator;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.TP;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shipped stack must parse, contain the protocols the grid relies on, and be accepted by
 * JGroups (protocol and attribute names are only checked when the protocols are created).
 */
class ShippedStacksTest {

    private static final List<String> TCP_STACK = List.of("TCP_NIO2", "TCPPING", "MERGE3", "FD_SOCK2", "FD_ALL3",
            "VERIFY_SUSPECT2", "pbcast.NAKACK2", "UNICAST3", "pbcast.STABLE", "pbcast.GMS", "UFC", "MFC", "FRAG4");

    private static final Map<String, List<String>> EXPECTED_PROTOCOLS = Map.of(
            "udp", List.of("UDP", "PING", "MERGE3", "FD_SOCK2", "FD_ALL3", "VERIFY_SUSPECT2",
                    "pbcast.NAKACK2", "UNICAST3", "pbcast.STABLE", "pbcast.GMS", "UFC", "MFC", "FRAG4"),
            "tcp", TCP_STACK,
            // TLS needs TCP's socket factory, which TCP_NIO2 does not have.
            "tls", java.util.stream.Stream.concat(java.util.stream.Stream.of("TCP"), TCP_STACK.stream().skip(1)).toList(),
            "kubernetes", List.of("TCP_NIO2", "dns.DNS_PING", "MERGE3", "FD_SOCK2", "FD_ALL3", "VERIFY_SUSPECT2",
                    "pbcast.NAKACK2", "UNICAST3", "pbcast.STABLE", "pbcast.GMS", "UFC", "MFC", "FRAG4"),
            "test-loopback", List.of("SHARED_LOOPBACK", "SHARED_LOOPBACK_PING", "MERGE3", "FD_ALL3",
                    "VERIFY_SUSPECT2", "pbcast.NAKACK2", "UNICAST3", "pbcast.STABLE", "pbcast.GMS", "UFC", "MFC",
                    "FRAG4"));

    static List<String> shippedStacks() {
        return StackLoader.shippedStacks();
    }

    /** The required properties of every shipped stack, with values that parse but are never used. */
    static Properties requiredProperties() {
        Properties properties = new Properties();
        properties.setProperty(StackLoader.DNS_QUERY, "sessions.example.svc.cluster.local");
        properties.setProperty(StackLoader.TLS_KEYSTORE_PATH, "/nonexistent/keystore.p12");
        properties.setProperty(StackLoader.TLS_KEYSTORE_PASSWORD, "secret");
        properties.setProperty(StackLoader.TLS_TRUSTSTORE_PATH, "/nonexistent/truststore.p12");
        properties.setProperty(StackLoader.TLS_TRUSTSTORE_PASSWORD, "secret");
        properties.setProperty(StackLoader.BIND_ADDRESS, "127.0.0.1");
        return properties;
    }

    @Test
    void shippedStacksAreListedInDocumentedOrder() {
        assertEquals(List.of("udp", "tcp", "kubernetes", "tls", "test-loopback"), StackLoader.shippedStacks());
    }

    @ParameterizedTest
    @MethodSource("shippedStacks")
    void resolvedStackParsesIntoTheExpectedProtocols(String stack) throws Exception {
        String xml = StackLoader.resolve(stack, requiredProperties());

        assertFalse(xml.contains("${"), () -> "unresolved placeholder in " + stack + ":\n" + xml);
        List<String> protocols = XmlConfigurator.getInstance(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)))
                .getProtocolStack().stream().map(ProtocolConfiguration::getProtocolName).toList();
        assertEquals(EXPECTED_PROTOCOLS.get(stack), protocols);
        // The grid transfers state itself; these would only add latency to every view change.
        assertFalse(protocols.contains("pbcast.STATE_TRANSFER") || protocols.contains("BARRIER"));
    }

    /**
     * FD_SOCK2 must listen where the transport does: on the wildcard it names itself by the host's name,
     * which on many hosts resolves to the same loopback address for every member
     * (the integration tests' {@code SocketFailureDetectionTest}).
     */
    @ParameterizedTest
    @MethodSource("shippedStacks")
    void failureDetectionSocketListensOnTheTransportsAddress(String stack) throws Exception {
        Properties properties = requiredProperties();
        properties.setProperty(StackLoader.BIND_ADDRESS, "127.0.0.2");
        String xml = StackLoader.resolve(stack, properties);
        List<ProtocolConfiguration> protocols = XmlConfigurator.getInstance(
                new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getProtocolStack();
        Optional<ProtocolConfiguration> fd = protocols.stream()
                .filter(p -> p.getProtocolName().equals("FD_SOCK2")).findFirst();
        if (fd.isEmpty()) {
            return; // test-loopback: heartbeats only
        }
        assertEquals(protocols.get(0).getProperties().get("bind_addr"), fd.get().getProperties().get("bind_addr"),
                stack + ": FD_SOCK2's bind_addr differs from the transport's");
        assertEquals("127.0.0.2", fd.get().getProperties().get("bind_addr"), stack);
    }

    @ParameterizedTest
    @MethodSource("shippedStacks")
    void jgroupsAcceptsEveryProtocolAndAttribute(String stack) throws Exception {
        try (JChannel channel = StackLoader.newChannel(stack, requiredProperties())) {
            List<String> protocols = channel.getProtocolStack().getProtocols().stream()
                    .map(Protocol::getName).toList();
            // getProtocols() lists top-down and without the "pbcast." package prefix.
            assertEquals(EXPECTED_PROTOCOLS.get(stack).size(), protocols.size(), protocols::toString);
            assertFalse(channel.isConnected());
        }
    }

    @Test
    void testLoopbackDetectsFailuresWithinSeconds() throws Exception {
        try (JChannel channel = StackLoader.newChannel(StackLoader.STACK_TEST_LOOPBACK, null)) {
            FD_ALL3 fd = channel.getProtocolStack().findProtocol(FD_ALL3.class);
            VERIFY_SUSPECT2 verify = channel.getProtocolStack().findProtocol(VERIFY_SUSPECT2.class);
            assertEquals(3000, fd.getTimeout());
            assertEquals(500, fd.getInterval());
            assertEquals(500, verify.getTimeout());
        }
    }

    @Test
    void productionStacksUseDocumentedDefaults() throws Exception {
        try (JChannel channel = StackLoader.newChannel(StackLoader.STACK_TCP, requiredProperties())) {
            TP transport = channel.getProtocolStack().getTransport();
            assertEquals(7800, transport.getBindPort());
            assertEquals(10, transport.getPortRange());
            FD_ALL3 fd = channel.getProtocolStack().findProtocol(FD_ALL3.class);
            assertEquals(10_000, fd.getTimeout());
            assertEquals(2_000, fd.getInterval());
            assertNotNull(channel.getProtocolStack().findProtocol("FD_SOCK2"));
        }
        try (JChannel channel = StackLoader.newChannel(StackLoader.STACK_KUBERNETES, requiredProperties())) {
            assertEquals(0, channel.getProtocolStack().getTransport().getPortRange());
        }
        try (JChannel channel = StackLoader.newChannel(StackLoader.STACK_UDP, requiredProperties())) {
            TP transport = channel.getProtocolStack().getTransport();
            assertEquals(0, transport.getBindPort());
            assertEquals(45688, ((org.jgroups.protocols.UDP) transport).getMulticastPort());
            assertTrue(((org.jgroups.protocols.UDP) transport).getMulticastAddress().isMulticastAddress());
        }
    }
}
