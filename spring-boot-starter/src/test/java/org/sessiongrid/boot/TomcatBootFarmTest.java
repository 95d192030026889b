package org.sessiongrid.boot;

import org.junit.jupiter.api.BeforeAll;
import org.sessiongrid.boot.farm.BootFarm;

/** The farm scenarios on the embedded Tomcat (SessionGridManager), in the default build. */
class TomcatBootFarmTest extends AbstractBootFarmTest {

    @BeforeAll
    static void start() throws Exception {
        startFarm(BootFarm.Container.TOMCAT);
    }
}
