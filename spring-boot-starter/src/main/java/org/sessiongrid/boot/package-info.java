/**
 * SessionGrid's Spring Boot starter: the {@code sessiongrid.*} properties and the auto-configuration
 * that installs SessionGrid in the embedded servlet container.
 */
package org.sessiongrid.boot;
