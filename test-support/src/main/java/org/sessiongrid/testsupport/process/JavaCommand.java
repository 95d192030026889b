package org.sessiongrid.testsupport.process;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of a child JVM: an optional prefix that execs it (e.g. {@code ip netns exec ns}),
 * the JDK's {@code java} of this JVM, JVM options, the class path, system properties, the main class and
 * its arguments. Not thread-safe; build, then {@link #toList()}.
 */
public final class JavaCommand {

    private final String mainClass;
    private final List<String> prefix = new ArrayList<>();
    private final List<String> options = new ArrayList<>();
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final List<String> lastOptions = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private String classpath;

    private JavaCommand(String mainClass) {
        this.mainClass = mainClass;
    }

    /** A JVM that runs {@code mainClass}. */
    public static JavaCommand of(String mainClass) {
        return new JavaCommand(mainClass);
    }

    /** A JVM that runs {@code mainClass}. */
    public static JavaCommand of(Class<?> mainClass) {
        return new JavaCommand(mainClass.getName());
    }

    /** Words before {@code java}: a program that execs the JVM, so that the PID is still the JVM's. */
    public JavaCommand prefix(String... words) {
        prefix.addAll(List.of(words));
        return this;
    }

    /** JVM options ({@code -Xmx256m}, {@code -XX:...}, {@code --add-opens=...}). */
    public JavaCommand options(String... opts) {
        options.addAll(List.of(opts));
        return this;
    }

    /** JVM options. */
    public JavaCommand options(List<String> opts) {
        options.addAll(opts);
        return this;
    }

    /**
     * JVM arguments placed after the system properties, just before the main class: a {@code -Dname=value}
     * among them overrides the same property set by {@link #property} (the JVM keeps the last).
     */
    public JavaCommand lastOptions(List<String> opts) {
        lastOptions.addAll(opts);
        return this;
    }

    /** The class path, as {@code -cp} takes it. */
    public JavaCommand classpath(String cp) {
        this.classpath = cp;
        return this;
    }

    /** A system property ({@code -Dname=value}); a later value for the same name replaces it. */
    public JavaCommand property(String name, Object value) {
        properties.put(name, String.valueOf(value));
        return this;
    }

    /** System properties, in the map's order. */
    public JavaCommand properties(Map<String, String> props) {
        props.forEach(this::property);
        return this;
    }

    /** Arguments of the main class. */
    public JavaCommand args(String... a) {
        args.addAll(List.of(a));
        return this;
    }

    /** The command line. */
    public List<String> toList() {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options);
        if (classpath != null) {
            cmd.add("-cp");
            cmd.add(classpath);
        }
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(lastOptions);
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** Where a class was loaded from (a jar or a classes directory), for a child's class path. */
    public static String locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + type.getName(), e);
        }
    }

    /** Class path entries joined with the platform's separator. */
    public static String classpath(List<String> entries) {
        return String.join(File.pathSeparator, entries);
    }
}
