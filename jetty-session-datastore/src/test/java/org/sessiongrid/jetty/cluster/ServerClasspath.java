package org.sessiongrid.jetty.cluster;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path of a child server JVM: the test class path minus the other EE's Jetty jars, with
 * the servlet API of the chosen EE (6.0 for ee10, 6.1 for ee11), so that each server really runs
 * its own EE stack.
 */
final class ServerClasspath {

    private ServerClasspath() {
    }

    static String forEe(String ee) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        for (String entry : cp.split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (ee.equals("ee10") && (name.startsWith("jetty-ee11-") || name.startsWith("jakarta.servlet-api-"))) {
                continue;
            }
            if (ee.equals("ee11") && name.startsWith("jetty-ee10-")) {
                continue;
            }
            out.add(entry);
        }
        if (ee.equals("ee10")) {
            out.add(Path.of(System.getProperty("sgtest.artifacts"), "servlet-api-ee10.jar").toString());
        }
        return String.join(File.pathSeparator, out);
    }
}
