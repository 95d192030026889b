package org.sessiongrid.jetty.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles the webapp-only attribute class into a directory that only the test webapp's loader sees. */
final class WebappClasses {

    private WebappClasses() {
    }

    static Path compile(Path dir) throws Exception {
        Path src = dir.resolve("src/webapp/Cart.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package webapp;
                public class Cart implements java.io.Serializable {
                    private static final long serialVersionUID = 1L;
                    private final String items;
                    public Cart(String items) { this.items = items; }
                    @Override public String toString() { return "Cart[" + items + "]"; }
                }
                """);
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), src.toString());
        if (rc != 0) {
            throw new IllegalStateException("javac failed for " + src);
        }
        return classes;
    }
}
