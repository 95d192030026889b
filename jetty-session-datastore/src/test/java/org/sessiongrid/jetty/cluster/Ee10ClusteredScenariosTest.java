package org.sessiongrid.jetty.cluster;

/** The clustered scenarios on ee10 (Servlet 6.0) servers. */
class Ee10ClusteredScenariosTest extends AbstractClusteredScenariosTest {
    Ee10ClusteredScenariosTest() {
        super("ee10");
    }
}
