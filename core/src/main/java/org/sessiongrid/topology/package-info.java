/**
 * Cluster topology: which members own which segments under which topology id, the rebalance phases,
 * and the coordinator that decides them. A topology is an immutable value, identical on every node
 * for a given id.
 */
package org.sessiongrid.topology;
