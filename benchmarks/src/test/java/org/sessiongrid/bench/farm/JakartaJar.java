package org.sessiongrid.bench.farm;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import org.apache.tomcat.jakartaee.EESpecProfiles;
import org.apache.tomcat.jakartaee.Migration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A library published for {@code javax.servlet} only, converted to {@code jakarta.servlet} with Tomcat's
 * jakartaee-migration tool, as a Tomcat 10.1 or 11 user converts one (Hazelcast's session filter,
 * hazelcast-wm, has no jakarta release). The javax jar is the test class path's; the converted one is
 * written once per run and only ever put on a node's class path.
 */
final class JakartaJar {

    private static final Logger LOG = LoggerFactory.getLogger(JakartaJar.class);

    private JakartaJar() {
    }

    /**
     * Converts the test class path's jar whose file name starts with {@code prefix} (e.g. {@code hazelcast-wm-})
     * into {@code dir}, with the {@code EE} profile (every Jakarta EE package, what the tool's CLI does with
     * {@code -profile=EE}); returns the converted jar.
     */
    static Path convert(String prefix, Path dir) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path source = Arrays.stream(cp.split(File.pathSeparator)).map(Path::of)
                .filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".jar")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + prefix + "*.jar on the test class path"));
        String name = source.getFileName().toString();
        Path target = dir.resolve(name.substring(0, name.length() - ".jar".length()) + "-jakarta.jar");
        // The tool reports every archive it opens at INFO (java.util.logging): this line says it all.
        java.util.logging.Logger.getLogger("org.apache.tomcat.jakartaee").setLevel(Level.WARNING);
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dir);
            Migration migration = new Migration();
            migration.setSource(source.toFile());
            migration.setDestination(target.toFile());
            migration.setEESpecProfile(EESpecProfiles.EE);
            migration.execute();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot convert " + source + " to jakarta", e);
        }
        LOG.info("converted {} to jakarta: {} ({} ms)", name, target,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return target;
    }
}
