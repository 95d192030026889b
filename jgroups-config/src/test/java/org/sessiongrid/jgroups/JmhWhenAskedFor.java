package org.sessiongrid.jgroups;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SortedSet;

import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The {@code jmh} profile's entry point: {@code org.openjdk.jmh.Main}, run only when this module's benchmarks
 * are asked for. The profile is activated in every module of a build ({@code -Pjmh}) and {@code -Djmh.args} is
 * the same for all of them, so {@code mvn -pl core -am -Pjmh -Djmh.args="-t 4 commit"} asks core for its
 * benchmarks and builds this module only because core needs it. Here JMH runs when this module is one the build
 * selected ({@code -pl} names it, or no {@code -pl} builds every module), not one {@code -am} brings in, and only
 * when the regexes in the arguments match one of its benchmarks (none is every benchmark); otherwise it says
 * why in one line and runs nothing.
 */
public final class JmhWhenAskedFor {

    private JmhWhenAskedFor() {
    }

    /**
     * Runs JMH with {@code args} when this module's benchmarks are asked for. System properties set by the
     * profile: {@code sessiongrid.jmh.selected} (Maven's {@code -pl} list as {@code [a, b]}), {@code
     * sessiongrid.jmh.root} (the directory Maven runs in), {@code sessiongrid.jmh.module} ({@code
     * groupId:artifactId}) and {@code sessiongrid.jmh.basedir} (this module's directory).
     */
    public static void main(String[] args) throws Exception {
        String module = System.getProperty("sessiongrid.jmh.module");
        PrintStream out = System.out;
        if (!selected(System.getProperty("sessiongrid.jmh.selected", "[]"), Path.of(System.getProperty(
                "sessiongrid.jmh.root", ".")), module, Path.of(System.getProperty("sessiongrid.jmh.basedir", ".")))) {
            out.println("JMH: " + module + " is built for another module (-am), not asked for: its benchmarks do not run");
            return;
        }
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            org.openjdk.jmh.Main.main(args); // JMH reports its own usage errors
            return;
        }
        SortedSet<BenchmarkListEntry> matching = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(out, VerboseMode.SILENT), options.getIncludes(),
                options.getExcludes());
        if (matching.isEmpty()) {
            out.println("JMH: no benchmark of " + module + " matches " + options.getIncludes() + ": none runs here");
            return;
        }
        org.openjdk.jmh.Main.main(args);
    }

    /**
     * Whether Maven's project selection ({@code -pl}, printed as {@code [a, b]}; {@code []} for none) selects
     * {@code module} ({@code groupId:artifactId}) at {@code basedir}. An entry is a directory relative to
     * {@code root}, {@code :artifactId} or {@code groupId:artifactId}; one starting with {@code !} or {@code -}
     * excludes, and a list of exclusions alone selects every module it does not exclude.
     */
    static boolean selected(String selection, Path root, String module, Path basedir) {
        String list = selection.strip();
        if (list.startsWith("[") && list.endsWith("]")) {
            list = list.substring(1, list.length() - 1);
        }
        boolean anyInclusion = false;
        for (String entry : list.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            boolean exclusion = e.startsWith("!") || e.startsWith("-");
            if (exclusion) {
                e = e.substring(1);
            } else {
                anyInclusion = true;
            }
            if (names(e, root, module, basedir)) {
                return !exclusion;
            }
        }
        return !anyInclusion;
    }

    private static boolean names(String entry, Path root, String module, Path basedir) {
        if (entry.contains(":") && !entry.contains("/")) {
            return entry.equals(module) || entry.startsWith(":") && module.endsWith(entry);
        }
        return root.resolve(entry).toAbsolutePath().normalize().equals(basedir.toAbsolutePath().normalize());
    }
}
