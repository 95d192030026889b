package org.sessiongrid.tomcat.multinode;

import java.io.IOException;
import java.nio.file.Path;

import org.sessiongrid.testsupport.files.WorkDirs;

/** Work directories of the tests, under target/test-work. */
public final class TestPaths {

    private TestPaths() {
    }

    /** An empty directory for one test. */
    public static Path fresh(String name) throws IOException {
        Path p = Path.of(System.getProperty("sessiongrid.test.work"), name);
        return WorkDirs.fresh(p);
    }
}
