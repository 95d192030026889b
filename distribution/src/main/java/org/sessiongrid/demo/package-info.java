/**
 * The demo farm: Tomcat (or Jetty) nodes with SessionGrid behind a load balancer on localhost
 * ({@link org.sessiongrid.demo.DemoFarm}), its status and controls, and the JSON they speak.
 */
package org.sessiongrid.demo;
