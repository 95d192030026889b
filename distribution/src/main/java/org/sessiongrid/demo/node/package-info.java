/** A node of the demo farm: embedded Tomcat with the SessionGrid manager and a status servlet. */
package org.sessiongrid.demo.node;
