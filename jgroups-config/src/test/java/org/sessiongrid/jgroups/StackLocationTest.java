package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a stack argument is found, and how failures to find, read or accept it are reported. */
class StackLocationTest {

    private static final String FD_ALL3_WITH_TIMEOUT_1234 = "<FD_ALL3 timeout=\"1234\" interval=\"100\"/>";

    @TempDir
    Path directory;

    @Test
    void unknownNameListsShippedStacks() {
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve("foo", null));
        assertTrue(e.getMessage().startsWith("stack 'foo' is neither a shipped stack (udp, tcp, kubernetes, tls,"
                + " test-loopback), a readable file nor a URL"), e.getMessage());
    }

    @Test
    void blankNameIsRejected() {
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.newChannel(" ", null));
        assertTrue(e.getMessage().contains("udp, tcp, kubernetes, tls, test-loopback"), e.getMessage());
    }

    @Test
    void shippedNamesIgnoreCaseAndSurroundingBlanks() throws Exception {
        assertEquals(StackLoader.resolve("tcp", null), StackLoader.resolve(" TCP ", null));
    }

    @Test
    void filePathAndFileUrl() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, FD_ALL3_WITH_TIMEOUT_1234);
        assertEquals(1234, fdTimeoutOfChannel(stack.toString()));
        assertEquals(1234, fdTimeoutOfChannel(stack.toUri().toString()));
    }

    @Test
    void classpathResource() throws Exception {
        String xml = StackLoader.resolve("classpath:org/sessiongrid/jgroups/stacks/tcp.xml", null);
        assertEquals(StackLoader.resolve("tcp", null), xml);
        assertEquals(xml, StackLoader.resolve("classpath:/org/sessiongrid/jgroups/stacks/tcp.xml", null));

        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve("classpath:no/such/stack.xml", null));
        assertEquals("stack resource classpath:no/such/stack.xml was not found on the class path", e.getMessage());
    }

    @Test
    void jarUrl() throws Exception {
        Path jar = directory.resolve("stacks.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("grid/stack.xml"));
            out.write(StackFiles.LOOPBACK_TEMPLATE.formatted(FD_ALL3_WITH_TIMEOUT_1234).getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        assertEquals(1234, fdTimeoutOfChannel("jar:" + jar.toUri() + "!/grid/stack.xml"));
    }

    @Test
    void httpUrl() throws Exception {
        byte[] body = StackFiles.LOOPBACK_TEMPLATE.formatted(FD_ALL3_WITH_TIMEOUT_1234).getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/stack.xml", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertEquals(1234, fdTimeoutOfChannel(base + "/stack.xml"));

            StackConfigurationException e = assertThrows(StackConfigurationException.class,
                    () -> StackLoader.resolve(base + "/missing.xml", null));
            assertTrue(e.getMessage().startsWith("stack URL " + base + "/missing.xml could not be read"), e.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void directoryIsNotAStackFile() {
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(directory.toString(), null));
        assertTrue(e.getMessage().startsWith("stack file " + directory.toAbsolutePath() + " is not a readable file"),
                e.getMessage());
    }

    @Test
    void malformedXmlNamesTheFile() throws Exception {
        Path stack = StackFiles.write(directory, "broken.xml", "<config>\n  <TCP bind_port=\"7800\">\n</config>\n");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.newChannel(stack.toString(), null));
        assertTrue(e.getMessage().startsWith("stack file " + stack.toAbsolutePath() + ": not well-formed XML at line 3"),
                e.getMessage());
    }

    @Test
    void attributeUnknownToJGroupsIsWrappedAndNamesTheFile() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, "<FD_ALL3 no_such_attribute=\"1\"/>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.newChannel(stack.toString(), null));
        assertTrue(e.getMessage().startsWith("stack file " + stack.toAbsolutePath() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("no_such_attribute"), e.getMessage());
        assertNotNull(e.getCause(), "JGroups' exception is kept as the cause");
    }

    @Test
    void badAttributeValueIsWrapped() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, "<FD_ALL3 timeout=\"soon\"/>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.newChannel(stack.toString(), null));
        assertTrue(e.getMessage().contains("timeout") && e.getMessage().contains("soon"), e.getMessage());
    }

    @Test
    void unknownProtocolIsWrapped() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, "<NO_SUCH_PROTOCOL/>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.newChannel(stack.toString(), null));
        assertTrue(e.getMessage().contains("NO_SUCH_PROTOCOL"), e.getMessage());
    }

    @Test
    void includesAreExpandedWithTheirOverrides() throws Exception {
        Path fd = StackFiles.write(directory, "fd.xml",
                "<config xmlns=\"urn:org:jgroups\"><FD_ALL3 timeout=\"${sessiongrid.test.fd:2222}\"/></config>");
        Path stack = StackFiles.loopbackStackWith(directory,
                "<include file=\"" + fd.toAbsolutePath() + "\" interval=\"111\"/>");
        try (JChannel channel = StackLoader.newChannel(stack.toString(), null)) {
            FD_ALL3 fdAll = channel.getProtocolStack().findProtocol(FD_ALL3.class);
            assertEquals(2222, fdAll.getTimeout());
            assertEquals(111, fdAll.getInterval());
        }
    }

    @Test
    void jgroupsOwnStacksWithIncludesCanBeUsed() throws Exception {
        // JGroups' tcp.xml includes tcp-default.xml from the JGroups jar.
        assertEquals("7800", StackFiles.attributesOf(StackLoader.resolve("classpath:tcp.xml", null), "TCP").get("bind_port"));
    }

    @Test
    void missingIncludeNamesTheIncludingStack() throws Exception {
        Path stack = StackFiles.loopbackStackWith(directory, "<include file=\"no-such-include.xml\"/>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(stack.toString(), null));
        assertTrue(e.getMessage().startsWith("stack file " + stack.toAbsolutePath() + ", included file no-such-include.xml"),
                e.getMessage());
    }

    @Test
    void doctypeIsRefused() throws Exception {
        Path stack = StackFiles.write(directory, "doctype.xml",
                "<!DOCTYPE config [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<config><TCP bind_addr=\"&x;\"/></config>");
        StackConfigurationException e = assertThrows(StackConfigurationException.class,
                () -> StackLoader.resolve(stack.toString(), null));
        assertInstanceOf(org.xml.sax.SAXException.class, e.getCause());
    }

    private static long fdTimeoutOfChannel(String stack) throws Exception {
        try (JChannel channel = StackLoader.newChannel(stack, null)) {
            FD_ALL3 fd = channel.getProtocolStack().findProtocol(FD_ALL3.class);
            return fd.getTimeout();
        }
    }
}
