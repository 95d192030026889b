/**
 * The records a member holds, as primary or backup, one map per segment, and the time-ordered index
 * of when each expires, kept in step with the records. The bottom of the engine: replication, expiry
 * and the merge read and change records here; this package depends on none of them.
 */
package org.sessiongrid.store;
