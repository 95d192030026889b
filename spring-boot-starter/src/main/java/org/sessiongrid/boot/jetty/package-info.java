/**
 * The embedded Jetty's side of the starter: the server customizer that installs SessionGrid's store,
 * session cache, id manager and request handler with the application's {@code sessiongrid.*} settings.
 */
package org.sessiongrid.boot.jetty;
