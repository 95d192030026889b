/** SessionGrid settings as Jetty XML, code and system properties set them. */
package org.sessiongrid.jetty.config;
