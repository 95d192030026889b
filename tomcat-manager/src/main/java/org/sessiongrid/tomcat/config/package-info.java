/**
 * The {@code <Manager>} attributes: recorded as text, checked together at context start with the
 * core's names and messages.
 */
package org.sessiongrid.tomcat.config;
