/**
 * A node of the demo farm, one JVM each: an embedded Tomcat with the SessionGrid manager
 * ({@link org.sessiongrid.demo.node.DemoNode}) or an embedded Jetty 12 with the SessionGrid store
 * ({@link org.sessiongrid.demo.node.JettyDemoNode}), serving the sample webapp and a status servlet.
 */
package org.sessiongrid.demo.node;
