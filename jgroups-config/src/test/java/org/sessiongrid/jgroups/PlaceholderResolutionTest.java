package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.jgroups.JChannel;
import org.jgroups.protocols.TCP;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlaceholderResolutionTest {

    private static final String FIRST = "sessiongrid.test.first";
    private static final String SECOND = "sessiongrid.test.second";

    @TempDir
    Path directory;

    @AfterEach
    void clearSystemProperties() {
        System.clearProperty(StackLoader.FAILURE_DETECTION_TIMEOUT);
        System.clearProperty(FIRST);
        System.clearProperty(SECOND);
    }

    @Test
    void overridesWinOverSystemPropertiesWhichWinOverDefaults() throws Exception {
        String stack = StackLoader.STACK_TEST_LOOPBACK;
        assertEquals("3000", fdTimeout(stack, null));

        System.setProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, "4000");
        assertEquals("4000", fdTimeout(stack, null));

        Properties overrides = new Properties();
        overrides.setProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, "5000");
        assertEquals("5000", fdTimeout(stack, overrides));
    }

    @Test
    void commaSeparatedNamesAreAlternativesTriedInOrder() throws Exception {
        String stack = StackFiles.loopbackStackWith(directory,
                "<FD_ALL3 timeout=\"${" + FIRST + "," + SECOND + ":7000}\"/>").toString();
        assertEquals("7000", fdTimeout(stack, null));

        System.setProperty(SECOND, "8000");
        assertEquals("8000", fdTimeout(stack, null));

        System.setProperty(FIRST, "9000");
        assertEquals("9000", fdTimeout(stack, null));

        // As in JGroups, names are tried in order and each in both sources: a system property for
        // the first name beats an override for the second.
        Properties overrides = new Properties();
        overrides.setProperty(SECOND, "1000");
        assertEquals("9000", fdTimeout(stack, overrides));
    }

    @Test
    void defaultMayContainColonsAndPlaceholdersMayBeEmbedded() throws Exception {
        String stack = StackFiles.loopbackStackWith(directory,
                "<TCPPING initial_hosts=\"${" + FIRST + ":host-a}[${" + SECOND + ":7800}]\"/>"
                        + "<MERGE3 max_interval=\"${" + FIRST + ":a:b}\"/>").toString();
        String xml = StackLoader.resolve(stack, null);
        assertEquals("host-a[7800]", StackFiles.attributesOf(xml, "TCPPING").get("initial_hosts"));
        assertEquals("a:b", StackFiles.attributesOf(xml, "MERGE3").get("max_interval"));
    }

    @Test
    void missingRequiredPropertyNamesStackAndProperty() {
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(StackLoader.STACK_KUBERNETES, null));
        assertEquals("stack 'kubernetes' needs property sessiongrid.dnsQuery (set it as a system property"
                + " -Dsessiongrid.dnsQuery=... or in the container configuration)", e.getMessage());
    }

    @Test
    void allMissingPropertiesAreReportedAtOnce() {
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.newChannel(StackLoader.STACK_TLS, null));
        String message = e.getMessage();
        assertTrue(message.startsWith("stack 'tls' needs properties "), message);
        for (String property : new String[] {StackLoader.TLS_KEYSTORE_PATH, StackLoader.TLS_KEYSTORE_PASSWORD,
                StackLoader.TLS_TRUSTSTORE_PATH, StackLoader.TLS_TRUSTSTORE_PASSWORD}) {
            assertTrue(message.contains(property), message);
        }
    }

    @Test
    void missingAlternativesAreNamedTogether() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, "<FD_ALL3 timeout=\"${" + FIRST + "," + SECOND + "}\"/>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(stack.toString(), null));
        assertTrue(e.getMessage().startsWith("stack file " + stack.toAbsolutePath() + " needs property "
                + FIRST + " (or " + SECOND + ")"), e.getMessage());
    }

    @Test
    void placeholdersInCommentsAreIgnored() throws Exception {
        String stack = StackFiles.loopbackStackWith(directory, "<!-- set ${sessiongrid.test.required} -->").toString();
        StackLoader.resolve(stack, null);
    }

    @Test
    void unterminatedPlaceholderIsReported() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, "<FD_ALL3 timeout=\"${" + FIRST + ":1000\"/>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(stack.toString(), null));
        assertTrue(e.getMessage().contains(stack.toAbsolutePath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("attribute timeout of <FD_ALL3>"), e.getMessage());
        assertTrue(e.getMessage().contains("no closing '}'"), e.getMessage());
    }

    @Test
    void valueThatJGroupsWouldSubstituteAgainIsRejected() {
        Properties overrides = new Properties();
        overrides.setProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, "${oops}");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(StackLoader.STACK_TEST_LOOPBACK, overrides));
        assertTrue(e.getMessage().contains(StackLoader.FAILURE_DETECTION_TIMEOUT), e.getMessage());
    }

    @Test
    void quotesAndAmpersandsSurviveResolve() throws Exception {
        String password = "p\"ass&w'rd";

        String xml = StackLoader.resolve(StackLoader.STACK_TLS, tlsProperties(password));

        assertEquals(password, StackFiles.attributesOf(xml, "TCP").get("tls.keystore_password"));
    }

    @Test
    void newChannelPassesAnyValueUnchanged() throws Exception {
        // '<', '>', '\\' and non-ASCII cannot be written for JGroups' text parser, but a channel gets them.
        String password = "<pä\"ss>\\&";
        Properties properties = tlsProperties(password);
        properties.setProperty(StackLoader.TLS_KEYSTORE_PATH, "C:\\certs\\grid.p12");
        try (JChannel channel = StackLoader.newChannel(StackLoader.STACK_TLS, properties)) {
            TCP tcp = (TCP) channel.getProtocolStack().getTransport();
            assertEquals(password, tcp.tls().getKeystorePassword());
            assertEquals("C:\\certs\\grid.p12", tcp.tls().getKeystorePath());
        }
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(StackLoader.STACK_TLS, tlsProperties(password)));
        assertTrue(e.getMessage().contains("tls.keystore_password of <TCP>"), e.getMessage());
        assertFalse(e.getMessage().contains(password), "a password must never appear in a message");
    }

    private static Properties tlsProperties(String password) {
        Properties properties = new Properties();
        properties.setProperty(StackLoader.BIND_ADDRESS, "127.0.0.1");
        properties.setProperty(StackLoader.TLS_KEYSTORE_PATH, "/nonexistent/keystore.p12");
        properties.setProperty(StackLoader.TLS_KEYSTORE_PASSWORD, password);
        properties.setProperty(StackLoader.TLS_TRUSTSTORE_PATH, "/nonexistent/truststore.p12");
        properties.setProperty(StackLoader.TLS_TRUSTSTORE_PASSWORD, "secret");
        return properties;
    }

    @Test
    void aShortFailureDetectionTimeoutGetsAnIntervalThatLeavesRoomForSeveralHeartbeats() throws Exception {
        Properties overrides = new Properties();
        overrides.setProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, "3000");
        assertEquals("750", StackFiles.attributesOf(StackLoader.resolve(StackLoader.STACK_TCP, overrides), "FD_ALL3")
                .get("interval"));
        // The stacks' own interval stays for the default and long timeouts; an explicit interval wins.
        overrides.setProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, "20000");
        assertEquals("2000", StackFiles.attributesOf(StackLoader.resolve(StackLoader.STACK_TCP, overrides), "FD_ALL3")
                .get("interval"));
        overrides.setProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, "3000");
        overrides.setProperty(StackLoader.FAILURE_DETECTION_INTERVAL, "1500");
        assertEquals("1500", StackFiles.attributesOf(StackLoader.resolve(StackLoader.STACK_TCP, overrides), "FD_ALL3")
                .get("interval"));
    }

    @Test
    void everyNetworkStackTakesItsMergeIntervalFromTheProperties() throws Exception {
        for (String stack : List.of(StackLoader.STACK_UDP, StackLoader.STACK_TCP, StackLoader.STACK_KUBERNETES,
                StackLoader.STACK_TLS)) {
            Properties overrides = stack.equals(StackLoader.STACK_TLS) ? tlsProperties("pw") : new Properties();
            overrides.setProperty(StackLoader.DNS_QUERY, "grid.example");
            var merge = StackFiles.attributesOf(StackLoader.resolve(stack, overrides), "MERGE3");
            assertEquals("5000", merge.get("min_interval"), stack);
            assertEquals("15000", merge.get("max_interval"), stack);
            overrides.setProperty(StackLoader.MERGE_MIN_INTERVAL, "1000");
            overrides.setProperty(StackLoader.MERGE_MAX_INTERVAL, "4000");
            merge = StackFiles.attributesOf(StackLoader.resolve(stack, overrides), "MERGE3");
            assertEquals("1000", merge.get("min_interval"), stack);
            assertEquals("4000", merge.get("max_interval"), stack);
        }
    }

    private static String fdTimeout(String stack, Properties overrides) throws Exception {
        return StackFiles.attributesOf(StackLoader.resolve(stack, overrides), "FD_ALL3").get("timeout");
    }
}
