/**
 * The JGroups channel under the grid: member identity (with machine, rack and site tags carried in
 * the address), request/response messaging with our own binary codec, views, the executor that
 * runs request handlers off JGroups' threads (only an answer that needs no wait is given on the
 * delivering thread), and counts of the messages sent and received.
 */
package org.sessiongrid.transport;
