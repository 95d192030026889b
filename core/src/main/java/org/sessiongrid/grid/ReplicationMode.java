package org.sessiongrid.grid;

/** When a write is acknowledged. Setting {@code replicationMode}. */
public enum ReplicationMode {
    /**
     * After the primary and every live backup applied it (the default): no acknowledged write is
     * lost while fewer than {@code numOwners} owners of its segment fail at once.
     */
    SYNC,
    /**
     * After the primary applied it; backups are updated in the background. Faster, and a write
     * acknowledged just before the primary dies can be lost.
     */
    ASYNC
}
