package org.sessiongrid.jetty.cluster;

/** The clustered scenarios on ee11 (Servlet 6.1) servers. */
class Ee11ClusteredScenariosTest extends AbstractClusteredScenariosTest {
    Ee11ClusteredScenariosTest() {
        super("ee11");
    }
}
