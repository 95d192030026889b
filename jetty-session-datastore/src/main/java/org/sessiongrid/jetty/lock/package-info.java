/** The old name of the request handler, kept for one release so that existing Jetty XML keeps working. */
package org.sessiongrid.jetty.lock;
