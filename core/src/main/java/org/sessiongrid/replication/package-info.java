/**
 * Holding and replicating session records: the local record store, the primary's ordered write
 * path to the backups, the backups' version checks, and the segment transfer of a rebalance.
 */
package org.sessiongrid.replication;
