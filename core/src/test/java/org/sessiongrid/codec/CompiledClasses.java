package org.sessiongrid.codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Compiles Java sources at test time into their own class loader, for classes the test class
 * loader must not see (webapp-only classes) and for classes in packages outside
 * org.sessiongrid.codec (gadget look-alikes), so every test source stays in this package.
 */
final class CompiledClasses {

    private CompiledClasses() {
    }

    static URLClassLoader compile(Path dir, ClassLoader parent, Map<String, String> sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("these tests need a JDK (javax.tools compiler), not a JRE");
        }
        Path src = dir.resolve("src");
        Path out = dir.resolve("classes");
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "--release", "17", "-nowarn"));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
            args.add(file.toString());
        }
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, null, new PrintStream(diagnostics, true, StandardCharsets.UTF_8),
                args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("fixture compilation failed:\n" + diagnostics.toString(StandardCharsets.UTF_8));
        }
        return new URLClassLoader("fixtures", new URL[] {out.toUri().toURL()}, parent);
    }

    static Object newInstance(ClassLoader loader, String className, Object... args) {
        try {
            Class<?> type = loader.loadClass(className);
            for (var constructor : type.getConstructors()) {
                if (constructor.getParameterCount() == args.length) {
                    return constructor.newInstance(args);
                }
            }
            throw new IllegalStateException("no public constructor with " + args.length + " parameters in " + className);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Plain Java serialization, without the codec's encode-time checks: what a forged or foreign record looks like. */
    static byte[] rawSerialize(Object value) {
        var bytes = new ByteArrayOutputStream();
        try (OutputStream sink = bytes; ObjectOutputStream out = new ObjectOutputStream(sink)) {
            out.writeObject(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
