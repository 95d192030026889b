package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The jmh profile runs this module's benchmarks when the build selects the module, not when -am brings it in. */
class JmhWhenAskedForTest {

    private static final Path ROOT = Path.of("/src/sessiongrid");
    private static final Path HERE = ROOT.resolve("jgroups-config");
    private static final String MODULE = "org.sessiongrid:sessiongrid-jgroups-config";

    private static boolean selects(String selection) {
        return JmhWhenAskedFor.selected(selection, ROOT, MODULE, HERE);
    }

    @Test
    void aBuildOfEveryModuleSelectsThisOne() {
        assertTrue(selects("[]"));
    }

    @Test
    void aModuleListSelectsItByDirectoryOrByName() {
        assertTrue(selects("[jgroups-config]"));
        assertTrue(selects("[core, ./jgroups-config/]"));
        assertTrue(selects("[:sessiongrid-jgroups-config]"));
        assertTrue(selects("[org.sessiongrid:sessiongrid-jgroups-config]"));
    }

    @Test
    void aModuleListWithoutItLeavesItToMinusAm() {
        assertFalse(selects("[core]"), "mvn -pl core -am");
        assertFalse(selects("[:sessiongrid-core]"));
        assertFalse(selects("[:config]"));
    }

    @Test
    void exclusionsSelectEveryModuleTheyDoNotName() {
        assertTrue(selects("[!benchmarks]"));
        assertFalse(selects("[!jgroups-config]"));
        assertFalse(selects("[-:sessiongrid-jgroups-config]"));
    }
}
