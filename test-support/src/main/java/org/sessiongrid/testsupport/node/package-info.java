/**
 * The node-main protocol of the multi-process tests: a node main starts its container, prints
 * {@code READY <name>} on stdout once it serves (or {@code FAILED <name>: why} and exits with 2), and
 * stops the container gracefully on SIGTERM, so that the grid hands the node's share over. Launchers
 * wait for the line ({@link org.sessiongrid.testsupport.process.ChildProcess#awaitReady}).
 */
package org.sessiongrid.testsupport.node;
