/** Login state (principal, auth type) carried with a session so that a login survives failover. */
package org.sessiongrid.tomcat.auth;
