/**
 * Placement of session segments on cluster members.
 *
 * <p>A session id maps to one of a fixed number of segments ({@link
 * org.sessiongrid.placement.SegmentHash}); each segment has an ordered owner list, primary
 * first, held in an immutable {@link org.sessiongrid.placement.OwnerTable}. {@link
 * org.sessiongrid.placement.Placement} computes those tables as pure, deterministic functions, so
 * every node derives the same owners from the same topology:
 * <ul>
 * <li>{@code create}: a balanced table from scratch;</li>
 * <li>{@code withoutMembers}: the crash step, which only removes dead owners (no data moves);</li>
 * <li>{@code rebalance}: the balanced target reachable with the fewest segment copies;</li>
 * <li>{@code OwnerTable.union}: the write target while the copies move.</li>
 * </ul>
 *
 * <p>Rule for location tags versus balance: primaries are always balanced to floor/ceil of the
 * mean; owned slots are balanced to floor/ceil too unless uneven tags make a member's location
 * too small or too big to give every segment distinct sites, racks and machines, in which case
 * its owned slots may move up to 10% from the mean (never more) towards what distinctness needs.
 * Within those quotas owners are spread over distinct sites first, then racks, then machines,
 * and only then are transfers minimised.
 */
package org.sessiongrid.placement;
