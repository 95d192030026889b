package org.sessiongrid.jgroups;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.conf.XmlConfigurator;

/** Writes small stack files for tests and reads attributes back the way JGroups parses them. */
final class StackFiles {

    /** A minimal stack JGroups accepts; {@code %s} is replaced by extra protocol elements or attributes. */
    static final String LOOPBACK_TEMPLATE = """
            <config xmlns="urn:org:jgroups">
                <SHARED_LOOPBACK/>
                <SHARED_LOOPBACK_PING/>
                %s
                <pbcast.NAKACK2/>
                <UNICAST3/>
                <pbcast.GMS print_local_addr="false"/>
            </config>
            """;

    private StackFiles() {
    }

    static Path write(Path directory, String name, String content) throws IOException {
        return Files.writeString(directory.resolve(name), content, StandardCharsets.UTF_8);
    }

    /** A loopback stack with one extra protocol element, e.g. {@code <FD_ALL3 timeout="${x:1}"/>}. */
    static Path loopbackStackWith(Path directory, String protocolElement) throws IOException {
        return write(directory, "stack.xml", LOOPBACK_TEMPLATE.formatted(protocolElement));
    }

    /** Parses resolved stack text with JGroups' own parser, as JGroups would read it. */
    static Map<String, String> attributesOf(String resolvedXml, String protocol) throws IOException {
        return XmlConfigurator.getInstance(new ByteArrayInputStream(resolvedXml.getBytes(StandardCharsets.UTF_8)))
                .getProtocolStack().stream()
                .filter(config -> config.getProtocolName().equals(protocol))
                .findFirst()
                .map(ProtocolConfiguration::getProperties)
                .orElseThrow(() -> new AssertionError(protocol + " missing from\n" + resolvedXml));
    }
}
