/**
 * The grid member in Spring Boot's actuator: a health indicator, an info contributor and Micrometer
 * meters, all read from the grid's own figures.
 */
package org.sessiongrid.boot.actuate;
