package org.sessiongrid.jetty.cluster;

/** The commit point on ee11 (Servlet 6.1) servers. */
class Ee11CommitPointTest extends AbstractCommitPointTest {
    Ee11CommitPointTest() {
        super("ee11");
    }
}
