/** Cluster-wide per-session request locking (setting {@code lockingMode}) for Jetty. */
package org.sessiongrid.jetty.lock;
