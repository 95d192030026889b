/** A Jetty session cache that reloads copies another node changed, for sticky and non-sticky farms. */
package org.sessiongrid.jetty.cache;
