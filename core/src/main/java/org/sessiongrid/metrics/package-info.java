/** Counters and figures a grid member keeps about itself, read by JMX and the status endpoint. */
package org.sessiongrid.metrics;
