/**
 * SessionGrid for Jetty 12: a {@code SessionDataStore} ({@link org.sessiongrid.jetty.store}) for the
 * core session API shared by ee8..ee11 webapps, a coherent session cache
 * ({@link org.sessiongrid.jetty.cache}), the mapping between Jetty's session data and grid records
 * ({@link org.sessiongrid.jetty.mapping}), the request handler in front of the contexts
 * ({@link org.sessiongrid.jetty.request}) and the settings ({@link org.sessiongrid.jetty.config}).
 */
package org.sessiongrid.jetty;
