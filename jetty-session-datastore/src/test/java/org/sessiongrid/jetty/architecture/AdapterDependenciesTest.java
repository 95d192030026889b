package org.sessiongrid.jetty.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import org.junit.jupiter.api.Test;
import org.sessiongrid.jetty.store.SessionGridDataStore;

/**
 * The Jetty adapter's packages depend one way, after Jetty's own session module (the cache owns the
 * store; the store knows the context, not the cache): the cache uses the store, the store tells this
 * node's copies what it learns through {@code copies}, and neither the store nor the copies reach
 * back. The dependencies come from the JDK's {@code jdeps} over the module's compiled classes.
 */
class AdapterDependenciesTest {

    private static final String JETTY = "org.sessiongrid.jetty.";

    /** Each package of the adapter and the adapter packages it may use; no package reaches back up. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "lock", Set.of("request"),
            "cache", Set.of("store", "copies", "request"),
            "store", Set.of("copies", "request", "mapping", "route", "config"),
            "copies", Set.of(),
            "request", Set.of(),
            "route", Set.of(),
            "mapping", Set.of(),
            "config", Set.of());

    /** The session cache's internals, which only the cache side ({@code cache}, {@code copies}) touches. */
    private static final Set<String> CACHE_INTERNALS = Set.of("org.eclipse.jetty.session.DefaultSessionCache",
            "org.eclipse.jetty.session.ManagedSession");

    private static final Pattern EDGE = Pattern.compile("^\\s+([\\w.$]+)\\s+->\\s+([\\w.$]+)\\s");

    @Test
    void packagesDependOneWay() throws Exception {
        Map<String, Set<String>> uses = new TreeMap<>();
        for (String[] edge : jdeps("-verbose:package", "org\\.sessiongrid\\.jetty\\..*")) {
            String from = edge[0].substring(JETTY.length());
            String to = edge[1].substring(JETTY.length());
            if (!from.equals(to)) {
                uses.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
            }
        }
        assertTrue(uses.getOrDefault("cache", Set.of()).contains("store"), "jdeps found the dependencies: " + uses);
        Map<String, Set<String>> unexpected = new TreeMap<>();
        uses.forEach((from, tos) -> tos.stream()
                .filter(to -> !ALLOWED.getOrDefault(from, Set.of()).contains(to))
                .forEach(to -> unexpected.computeIfAbsent(from, k -> new TreeSet<>()).add(to)));
        assertEquals(Map.of(), unexpected, "adapter packages using packages they may not (package -> used)");
    }

    @Test
    void theStoreDoesNotReachIntoTheCache() throws Exception {
        Set<String> reaching = new TreeSet<>();
        for (String[] edge : jdeps("-verbose:class", "org\\.eclipse\\.jetty\\.session\\..*")) {
            if (edge[0].startsWith(JETTY + "store.") && CACHE_INTERNALS.contains(edge[1])) {
                reaching.add(edge[0] + " -> " + edge[1]);
            }
        }
        assertEquals(Set.of(), reaching, "store classes using the session cache's internals");
    }

    /** The edges jdeps reports at {@code verbosity} towards names matching {@code include}. */
    private static List<String[]> jdeps(String verbosity, String include) throws Exception {
        Path classes = Path.of(SessionGridDataStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        PrintWriter pw = new PrintWriter(out);
        int rc = jdeps.run(pw, pw, verbosity, "-e", include, classes.toString());
        pw.flush();
        assertEquals(0, rc, "jdeps failed:\n" + out);
        List<String[]> edges = new ArrayList<>();
        for (String line : out.toString().split("\\R")) {
            Matcher m = EDGE.matcher(line);
            if (m.find()) {
                edges.add(new String[] {m.group(1), m.group(2)});
            }
        }
        return edges;
    }
}
