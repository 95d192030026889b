package org.sessiongrid.topology;

/**
 * Rebalance phase of a topology. During a rebalance writes go to the owners of both tables, so that
 * whichever table reads use, the owners it names have every acknowledged write.
 */
public enum Phase {
    /** No rebalance: reads and writes use the current table. */
    NONE,
    /** New owners pull their segments; reads use the current table, writes go to both. */
    READ_OLD_WRITE_ALL,
    /** Every new owner has its data; reads use the pending table, writes still go to both. */
    READ_NEW_WRITE_ALL
}
