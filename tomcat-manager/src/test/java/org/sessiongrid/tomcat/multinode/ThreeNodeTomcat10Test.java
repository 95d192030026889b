package org.sessiongrid.tomcat.multinode;

/** The three-node scenarios on Tomcat 10.1, with the same jar. */
class ThreeNodeTomcat10Test extends AbstractThreeNodeTest {
    @Override
    TomcatCluster.Line line() {
        return TomcatCluster.Line.TOMCAT_10;
    }
}
