package org.sessiongrid.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.grid.SessionGrid;

/**
 * Core's packages depend on each other one way: no package reaches, through others, back to itself. The
 * package graph comes from the JDK's own {@code jdeps} over core's compiled classes.
 *
 * <p>A cycle that must stay for a while goes into {@link #KNOWN_CYCLES} with the reason and the work that
 * removes it; the test fails once it is gone, so the entry goes too. None is known now.
 */
class PackageCyclesTest {

    private static final String CORE = "org.sessiongrid";

    /** Cycles allowed for now (their packages, sorted), each with why and until when. */
    private static final Map<Set<String>, String> KNOWN_CYCLES = Map.of();

    private static final Pattern EDGE = Pattern.compile("^\\s+(org\\.sessiongrid[\\w.]*)\\s+->\\s+(org\\.sessiongrid[\\w.]*)\\s");

    @Test
    void corePackagesFormNoCycle(@TempDir Path copy) throws Exception {
        Map<String, Set<String>> graph = packageGraph(copy);
        assertTrue(graph.getOrDefault(CORE + ".grid", Set.of()).contains(CORE + ".topology"),
                "jdeps found the packages' dependencies: " + graph);

        Map<Set<String>, String> cycles = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (Set<String> component : stronglyConnected(graph)) {
            if (component.size() > 1) {
                cycles.put(component, KNOWN_CYCLES.getOrDefault(component, "not known"));
            }
        }
        Map<Set<String>, String> unknown = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        cycles.forEach((c, why) -> {
            if (!KNOWN_CYCLES.containsKey(c)) {
                unknown.put(c, why);
            }
        });
        assertEquals(Map.of(), unknown, "package cycles in core (each set reaches itself through the others)");
        for (Set<String> known : KNOWN_CYCLES.keySet()) {
            assertTrue(cycles.containsKey(known), "the known cycle " + known + " is gone: remove it from KNOWN_CYCLES");
        }
    }

    /** Package -> the core packages it uses, from jdeps over a copy of core's classes without module-info. */
    private static Map<String, Set<String>> packageGraph(Path copy) throws Exception {
        Path classes = Path.of(SessionGrid.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        // Without the module descriptor jdeps reads the classes as one unnamed archive and needs none of
        // the modules core requires.
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class")
                    && !p.getFileName().toString().equals("module-info.class"))::iterator) {
                Path target = copy.resolve(classes.relativize(f).toString());
                Files.createDirectories(target.getParent());
                Files.copy(f, target);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot copy core's classes from " + classes, e);
        }
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        PrintWriter pw = new PrintWriter(out);
        int rc = jdeps.run(pw, pw, "-verbose:package", "-e", "org\\.sessiongrid\\..*", copy.toString());
        pw.flush();
        assertEquals(0, rc, "jdeps failed:\n" + out);
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : out.toString().split("\\R")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        return graph;
    }

    /** Tarjan's strongly connected components. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Set<String> nodes = new TreeSet<>(graph.keySet());
        graph.values().forEach(nodes::addAll);
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String n : nodes) {
            if (!index.containsKey(n)) {
                connect(n, graph, index, low, stack, onStack, out, next);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<Set<String>> out, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]);
        next[0]++;
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }
}
