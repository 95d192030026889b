/**
 * The JGroups channel under the grid: member identity (with machine, rack and site tags carried in
 * the address), request/response messaging with our own binary codec, views, and the executor that
 * runs request handlers off JGroups' threads.
 */
package org.sessiongrid.transport;
