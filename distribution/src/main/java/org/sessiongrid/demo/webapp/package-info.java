/**
 * The sample webapp of the demo and of the distribution (sessiongrid-sample.war): a page and a
 * counter kept in the session. Depends on the Servlet API only.
 */
package org.sessiongrid.demo.webapp;
