package org.sessiongrid.tomcat.multinode;

/**
 * The three-node scenarios of tomcat-manager on Tomcat 9, against this module's jar: the nodes run the
 * javax drop-in jar and the test webapp transformed the same way (see this module's pom), the test JVM
 * the scenarios from tomcat-manager's test jar.
 */
class ThreeNodeTomcat9IT extends AbstractThreeNodeTest {
    @Override
    TomcatCluster.Line line() {
        return TomcatCluster.Line.TOMCAT_9;
    }
}
