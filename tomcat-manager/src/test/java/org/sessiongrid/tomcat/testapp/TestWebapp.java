package org.sessiongrid.tomcat.testapp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds the test webapp directory: web.xml, context.xml, and a class only its WEB-INF/classes has. */
public final class TestWebapp {

    private TestWebapp() {
    }

    /**
     * @param contextXml replaces META-INF/context.xml, or null to keep the multi-node one
     */
    public static Path prepare(Path dir, String contextXml) throws IOException {
        Path src = Path.of(System.getProperty("sessiongrid.test.testClasses"), "webapp");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = dir.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        if (contextXml != null) {
            Files.writeString(dir.resolve("META-INF/context.xml"), contextXml);
        }
        Path classes = Files.createDirectories(dir.resolve("WEB-INF/classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // The source lives in this module; a module that runs these tests from its test jar names it.
        Path cart = Path.of(System.getProperty("sessiongrid.test.webappSrc", "src/test/webapp-src"), "webapp", "Cart.java")
                .toAbsolutePath();
        if (javac.run(null, null, null, "-d", classes.toString(), "--release", "17", cart.toString()) != 0) {
            throw new IllegalStateException("could not compile " + cart);
        }
        return dir;
    }
}
