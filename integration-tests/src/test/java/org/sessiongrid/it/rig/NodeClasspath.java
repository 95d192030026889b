package org.sessiongrid.it.rig;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path of a node JVM: the test classes plus the jars of one container, picked from the test
 * class path by name, so a Tomcat node never sees Jetty (nor JUnit, nor the plotting library) and the
 * reverse.
 */
final class NodeClasspath {

    private static final List<String> COMMON = List.of("sessiongrid-core", "sessiongrid-jgroups-config", "jgroups-",
            "slf4j-api", "slf4j-simple", "sessiongrid-test-support");
    private static final List<String> TOMCAT = List.of("sessiongrid-tomcat", "tomcat-embed-core",
            "tomcat-annotations-api");
    private static final List<String> JETTY = List.of("sessiongrid-jetty", "jetty-", "jakarta.servlet-api");

    private NodeClasspath() {
    }

    private static final java.util.Map<Farm.Kind, String> SNAPSHOTS = new java.util.EnumMap<>(Farm.Kind.class);

    /**
     * The class path, with every jar copied once per test JVM into {@code faults.work/node-lib/<kind>}: the
     * snapshot jars in ~/.m2 may be re-installed while a test runs, and a JVM whose jar is replaced under
     * it fails with NoClassDefFoundError.
     */
    static synchronized String of(Farm.Kind kind) {
        return SNAPSHOTS.computeIfAbsent(kind, k -> {
            Path dir = Path.of(System.getProperty("faults.work", "target/fault-work"), "node-lib", k.name().toLowerCase());
            List<String> out = new ArrayList<>();
            try {
                Files.createDirectories(dir);
                for (String entry : raw(k).split(File.pathSeparator)) {
                    Path p = Path.of(entry);
                    if (Files.isDirectory(p)) {
                        out.add(entry);
                    } else {
                        Path copy = dir.resolve(p.getFileName());
                        Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        out.add(copy.toAbsolutePath().toString());
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot copy the node jars to " + dir, e);
            }
            return String.join(File.pathSeparator, out);
        });
    }

    private static String raw(Farm.Kind kind) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> own = kind == Farm.Kind.TOMCAT ? TOMCAT : JETTY;
        List<String> out = new ArrayList<>();
        for (String entry : cp.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            if (Files.isDirectory(p) && name.equals("test-classes")) {
                out.add(entry);
            } else if (name.endsWith(".jar") && (matches(name, COMMON) || matches(name, own))) {
                out.add(entry);
            }
        }
        return String.join(File.pathSeparator, out);
    }

    private static boolean matches(String name, List<String> prefixes) {
        return prefixes.stream().anyMatch(name::startsWith);
    }
}
