/**
 * The records a member holds, as primary or backup, one map per segment, and the time-ordered index
 * of when each expires, kept in step with the records; the copies a member set aside when it had to
 * rejoin after an absence, never served, until a catch-up tells which of them are still current. The
 * bottom of the engine: replication, expiry and the merge read and change records here; this package
 * depends on none of them.
 */
package org.sessiongrid.store;
