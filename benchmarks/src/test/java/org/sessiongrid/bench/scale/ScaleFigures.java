package org.sessiongrid.bench.scale;

/**
 * SessionGrid with {@code members} members in one JVM.
 *
 * @param messagesPerWrite unicast messages sent in the cluster per write at the primary (idle traffic subtracted;
 *        -1 when the live cluster was not measured)
 * @param bytesPerWrite unicast bytes per write, likewise
 * @param placementMicros median time to compute the owner table when one member joins (coordinator work)
 * @param movedSlotsPerJoin segment copies the join adds (each is one segment's records sent to the new member)
 * @param minimumSlotsPerJoin the new member's fair share of all copies: segments × owners / (members + 1)
 * @param startMillis time until the live cluster was formed and settled (-1 when not started)
 */
public record ScaleFigures(int members, double messagesPerWrite, double bytesPerWrite, double placementMicros,
                           int movedSlotsPerJoin, int minimumSlotsPerJoin, long startMillis, String note) {
}
