package org.sessiongrid.distribution;

import java.nio.file.Path;

/**
 * The drop-in jar (the one of {@code tomcat/lib}, compiled against Tomcat 11) on a real Tomcat 10.1
 * distribution: the same farm test as on Tomcat 11.
 */
class Tomcat10DistributionIT extends AbstractTomcatDistributionIT {

    @Override
    Path tomcatHome() {
        return Path.of(System.getProperty("sessiongrid.it.tomcat10Home"));
    }

    @Override
    Path dropinJar() {
        return Path.of(System.getProperty("sessiongrid.it.tomcatJar"));
    }

    @Override
    Path sampleWar() {
        return Path.of(System.getProperty("sessiongrid.it.sampleWar"));
    }

    @Override
    String line() {
        return "10.1";
    }
}
