/**
 * Replicating session records: the primary's ordered write path to the backups, the pure commit
 * decision, the backups' version checks, the merge after a partition and the segment transfer of a
 * rebalance.
 */
package org.sessiongrid.replication;
