package org.sessiongrid.tomcat9;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

/**
 * The Tomcat 9 drop-in jar as built: the Tomcat 10.1/11 drop-in jar's content with every Servlet API
 * reference on javax.servlet, nothing left on jakarta.servlet, and the relocated JGroups and SLF4J as
 * they were.
 */
class Tomcat9DropinJarIT {

    @Test
    void everyServletApiReferenceIsJavaxAndTheShadedContentIsKept() throws IOException {
        List<String> stillJakarta = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<String> javax = new ArrayList<>();
        try (JarFile jar = new JarFile(System.getProperty("sessiongrid.it.tomcat9Jar"))) {
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                names.add(e.getName());
                if (!e.getName().endsWith(".class")) {
                    continue;
                }
                // Class names in the constant pool are plain UTF-8 (modified UTF-8, equal for ASCII).
                String pool;
                try (InputStream in = jar.getInputStream(e)) {
                    pool = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                }
                if (pool.contains("jakarta/servlet") || pool.contains("jakarta.servlet")) {
                    stillJakarta.add(e.getName());
                }
                if (pool.contains("javax/servlet/")) {
                    javax.add(e.getName());
                }
            }
        }
        assertEquals(List.of(), stillJakarta, "classes still referring to jakarta.servlet");
        // The valve is where the manager meets the Servlet API (ServletException, AsyncListener).
        assertTrue(javax.contains("org/sessiongrid/tomcat/SessionGridValve.class"),
                "classes referring to javax.servlet: " + javax);
        assertTrue(names.contains("org/sessiongrid/tomcat/SessionGridManager.class"));
        assertTrue(names.contains("org/sessiongrid/grid/SessionGrid.class"));
        assertTrue(names.contains("org/sessiongrid/jgroups/stacks/tcp.xml"));
        assertTrue(names.contains("org/sessiongrid/shaded/jgroups/JChannel.class"));
        assertTrue(names.contains("META-INF/services/org.sessiongrid.shaded.slf4j.spi.SLF4JServiceProvider"));
        assertFalse(names.stream().anyMatch(n -> n.startsWith("org/jgroups/") || n.startsWith("org/slf4j/")),
                "JGroups or SLF4J left unrelocated");
        assertFalse(names.stream().anyMatch(n -> n.startsWith("org/apache/") || n.startsWith("jakarta/")
                || n.startsWith("javax/")), "Tomcat or servlet API classes in the drop-in jar");
    }
}
