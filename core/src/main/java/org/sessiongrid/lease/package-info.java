/**
 * The majority lease of {@code partitionPolicy=minority-refuses-writes}: a member serves, reads included,
 * only while it has heard from a majority of its topology recently enough that the other side cannot have
 * excluded it yet. {@link org.sessiongrid.lease.HeardFrom} notes when each member was last heard from,
 * {@link org.sessiongrid.lease.MajorityLease} says for how long that counts.
 */
package org.sessiongrid.lease;
