/** The SessionGrid {@code SessionDataStore} for Jetty 12 and its factory. */
package org.sessiongrid.jetty.store;
