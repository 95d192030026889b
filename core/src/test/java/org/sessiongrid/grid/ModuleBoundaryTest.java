package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The module's boundary: it exports the API packages and nothing else, and the code that ships on
 * top of core (the adapters and the distribution's demo) uses nothing else. Every one of them loads
 * core from the class path (Tomcat's lib/, Jetty's lib/sessiongrid/, the shaded jar), where the JVM
 * does not enforce the descriptor; this test does, over their sources.
 */
class ModuleBoundaryTest {

    static final Set<String> API = Set.of("org.sessiongrid.grid", "org.sessiongrid.session", "org.sessiongrid.codec",
            "org.sessiongrid.metrics", "org.sessiongrid.settings");
    /** Modules of this reactor whose main code builds on core's API. */
    static final List<String> ADAPTERS = List.of("tomcat-manager", "jetty-session-datastore", "distribution");
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?(org\\.sessiongrid\\.[a-z.]+?)\\.[A-Z]",
            Pattern.MULTILINE);

    /** Core's descriptor, read from where its classes were loaded (the tests run on the class path). */
    private static ModuleDescriptor descriptor() throws IOException, URISyntaxException {
        Path classes = Path.of(SessionGrid.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path descriptor = classes.resolve("module-info.class");
        assertTrue(Files.isRegularFile(descriptor), "module-info.class is missing from " + classes);
        try (InputStream in = Files.newInputStream(descriptor)) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void theModuleExportsTheApiAndNothingElse() throws IOException, URISyntaxException {
        ModuleDescriptor d = descriptor();
        assertEquals("org.sessiongrid.core", d.name());
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertTrue(e.targets().isEmpty(), "qualified export " + e);
            exported.add(e.source());
        }
        assertEquals(new TreeSet<>(API), exported);
        assertTrue(d.opens().isEmpty(), "nothing is opened for reflection: " + d.opens());
    }

    @Test
    void theAdaptersImportOnlyTheApiOfCore() throws IOException, URISyntaxException {
        Set<String> corePackages = descriptor().packages();
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> violations = new ArrayList<>();
        int scanned = 0;
        for (String module : ADAPTERS) {
            Path sources = root.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    scanned++;
                    Matcher m = IMPORT.matcher(Files.readString(f));
                    while (m.find()) {
                        String pkg = m.group(1);
                        if (corePackages.contains(pkg) && !API.contains(pkg)) {
                            violations.add(root.relativize(f) + " imports " + m.group(0).substring(7));
                        }
                    }
                }
            }
        }
        assumeTrue(scanned > 0, "the adapters' sources are not next to core (core built on its own)");
        assertEquals(List.of(), violations, "the adapters reach into core's engine; give them what they need "
                + "through " + API.stream().sorted().collect(Collectors.joining(", ")));
    }
}
