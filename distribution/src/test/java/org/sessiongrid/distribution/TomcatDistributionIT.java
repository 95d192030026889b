package org.sessiongrid.distribution;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

/**
 * The drop-in jar on a real Tomcat 11 (the line it is compiled against), and what the jar holds.
 */
class TomcatDistributionIT extends AbstractTomcatDistributionIT {

    @Override
    Path tomcatHome() {
        return Path.of(System.getProperty("sessiongrid.it.tomcatHome"));
    }

    @Override
    Path dropinJar() {
        return Path.of(System.getProperty("sessiongrid.it.tomcatJar"));
    }

    @Override
    Path sampleWar() {
        return Path.of(System.getProperty("sessiongrid.it.sampleWar"));
    }

    @Override
    String line() {
        return "11";
    }

    @Test
    void jarHoldsGridJGroupsAndSlf4jRelocatedAndNothingOfTomcat() throws IOException {
        try (JarFile jar = new JarFile(System.getProperty("sessiongrid.it.tomcatJar"))) {
            Set<String> names = new HashSet<>();
            jar.stream().forEach(e -> names.add(e.getName()));
            assertTrue(names.contains("org/sessiongrid/tomcat/SessionGridManager.class"));
            assertTrue(names.contains("org/sessiongrid/grid/SessionGrid.class"));
            assertTrue(names.contains("org/sessiongrid/jgroups/stacks/tcp.xml"));
            assertTrue(names.contains("org/sessiongrid/shaded/jgroups/JChannel.class"));
            assertTrue(names.contains("org/sessiongrid/shaded/slf4j/LoggerFactory.class"));
            assertTrue(names.contains("META-INF/services/org.sessiongrid.shaded.slf4j.spi.SLF4JServiceProvider"));
            assertFalse(names.stream().anyMatch(n -> n.startsWith("org/jgroups/") || n.startsWith("org/slf4j/")),
                    "JGroups or SLF4J left unrelocated");
            assertFalse(names.stream().anyMatch(n -> n.startsWith("org/apache/") || n.startsWith("jakarta/")),
                    "Tomcat or servlet API classes in the drop-in jar");
            assertFalse(names.stream().anyMatch(n -> n.startsWith("org/sessiongrid/demo/")), "demo classes inside");
            String magic = new String(jar.getInputStream(jar.getEntry("jg-magic-map.xml")).readAllBytes());
            assertFalse(magic.contains("\"org.jgroups."), "jg-magic-map.xml still names unrelocated classes");
        }
    }
}
