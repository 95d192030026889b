package org.sessiongrid.bench.farm;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The class path of a contender JVM: the test class path less the other container, the test frameworks and
 * the plotting library, so a Tomcat node never sees Jetty and the reverse. Jars are copied once per run into
 * {@code bench.work/node-lib/<kind>}: a snapshot jar re-installed in ~/.m2 during a run would otherwise break
 * the JVMs that have it open. Hazelcast's jars are on the Hazelcast contenders' nodes only ({@link #hazelcast}).
 */
public final class NodeJars {

    /** Which container the node runs. */
    public enum Container {
        TOMCAT, JETTY
    }

    /**
     * Never on a node this way: test frameworks, the report's plotting library and its PDF/SVG helpers, the
     * jakarta conversion tool and its libraries, and Hazelcast (see {@link #hazelcast}).
     */
    private static final List<String> NEVER = List.of("junit-", "opentest4j", "apiguardian", "xchart", "pdfbox",
            "fontbox", "graphics2d", "VectorGraphics2D", "animated-gif", "commons-logging", "slf4j-jdk14",
            "surefire", "jspecify", "jakartaee-migration", "bcel-", "commons-compress", "org.eclipse.osgi",
            "hazelcast");
    private static final List<String> TOMCAT_ONLY = List.of("tomcat-", "sessiongrid-tomcat", "redisson", "netty-",
            "reactor-", "reactive-streams", "rxjava", "kryo", "minlog", "reflectasm", "objenesis", "byte-buddy",
            "jodd-", "jackson-", "snakeyaml", "cache-api");
    private static final List<String> JETTY_ONLY = List.of("jetty-", "sessiongrid-jetty", "jakarta.servlet-api");

    private static final Map<Container, String> COPIES = new EnumMap<>(Container.class);
    private static String hazelcast;

    private NodeJars() {
    }

    /** The class path for a node of this container, its jars copied under {@code work}. */
    public static synchronized String of(Container container, Path work) {
        return COPIES.computeIfAbsent(container, c -> copy(c, work.resolve("node-lib").resolve(c.name().toLowerCase())));
    }

    /**
     * What a Hazelcast node has on top of {@link #of}: Hazelcast (the member) and its session filter
     * converted to jakarta ({@link JakartaJar}), under {@code work/node-lib/hazelcast}.
     */
    public static synchronized String hazelcast(Path work) {
        if (hazelcast == null) {
            Path dir = work.resolve("node-lib").resolve("hazelcast");
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            try {
                Files.createDirectories(dir);
                List<String> out = new ArrayList<>();
                for (String entry : cp.split(File.pathSeparator)) {
                    Path p = Path.of(entry);
                    if (p.getFileName().toString().matches("hazelcast-\\d.*\\.jar")) {
                        Path copy = dir.resolve(p.getFileName());
                        Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                        out.add(copy.toAbsolutePath().toString());
                    }
                }
                out.add(JakartaJar.convert("hazelcast-wm-", dir).toAbsolutePath().toString());
                hazelcast = String.join(File.pathSeparator, out);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy the Hazelcast jars to " + dir, e);
            }
        }
        return hazelcast;
    }

    private static String copy(Container container, Path dir) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> other = container == Container.TOMCAT ? JETTY_ONLY : TOMCAT_ONLY;
        List<String> out = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (String entry : cp.split(File.pathSeparator)) {
                Path p = Path.of(entry);
                String name = p.getFileName().toString();
                if (Files.isDirectory(p)) {
                    if (name.equals("test-classes")) {
                        out.add(p.toAbsolutePath().toString());
                    }
                    continue;
                }
                if (!name.endsWith(".jar") || startsWithAny(name, NEVER) || startsWithAny(name, other)) {
                    continue;
                }
                Path copy = dir.resolve(name);
                Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                out.add(copy.toAbsolutePath().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the node jars to " + dir, e);
        }
        return String.join(File.pathSeparator, out);
    }

    private static boolean startsWithAny(String name, List<String> prefixes) {
        return prefixes.stream().anyMatch(name::startsWith);
    }
}
