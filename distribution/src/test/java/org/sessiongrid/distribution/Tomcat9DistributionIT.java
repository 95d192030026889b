package org.sessiongrid.distribution;

import java.nio.file.Path;

/**
 * The Tomcat 9 drop-in jar (the one of {@code tomcat9/lib}, javax.servlet) on a real Tomcat 9
 * distribution, with the sample webapp transformed to javax.servlet the same way: the same farm test as
 * on Tomcat 11.
 */
class Tomcat9DistributionIT extends AbstractTomcatDistributionIT {

    @Override
    Path tomcatHome() {
        return Path.of(System.getProperty("sessiongrid.it.tomcat9Home"));
    }

    @Override
    Path dropinJar() {
        return Path.of(System.getProperty("sessiongrid.it.tomcat9Jar"));
    }

    @Override
    Path sampleWar() {
        return Path.of(System.getProperty("sessiongrid.it.tomcat9SampleWar"));
    }

    @Override
    String line() {
        return "9";
    }
}
