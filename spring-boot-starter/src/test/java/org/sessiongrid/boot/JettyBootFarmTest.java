package org.sessiongrid.boot;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.sessiongrid.boot.farm.BootFarm;

/**
 * The farm scenarios on the embedded Jetty (SessionGrid's store, session cache, id manager and request
 * handler). Outside the default build, whose time it would exceed: {@code -Dsessiongrid.test.jettyFarm=true}.
 */
@EnabledIfSystemProperty(named = "sessiongrid.test.jettyFarm", matches = "true")
class JettyBootFarmTest extends AbstractBootFarmTest {

    @BeforeAll
    static void start() throws Exception {
        startFarm(BootFarm.Container.JETTY);
    }
}
