package org.sessiongrid.tomcat.multinode;

/** The three-node scenarios on Tomcat 11.0. */
class ThreeNodeTomcat11Test extends AbstractThreeNodeTest {
    @Override
    TomcatCluster.Line line() {
        return TomcatCluster.Line.TOMCAT_11;
    }
}
