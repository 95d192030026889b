/** Session id routes that follow each session's primary, for sticky balancers. */
package org.sessiongrid.jetty.route;
