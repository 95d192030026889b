package org.sessiongrid.jetty.cluster;

/** The commit point on ee10 (Servlet 6.0) servers. */
class Ee10CommitPointTest extends AbstractCommitPointTest {
    Ee10CommitPointTest() {
        super("ee10");
    }
}
