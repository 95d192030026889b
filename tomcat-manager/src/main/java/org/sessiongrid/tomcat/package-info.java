/**
 * Tomcat adapter of SessionGrid: {@link org.sessiongrid.tomcat.SessionGridManager} (configured in
 * {@code context.xml}), its session copies and its Host-level request boundary.
 */
package org.sessiongrid.tomcat;
