/**
 * The embedded Tomcat's side of the starter: the context customizer that installs SessionGrid's
 * manager with the application's {@code sessiongrid.*} settings.
 */
package org.sessiongrid.boot.tomcat;
