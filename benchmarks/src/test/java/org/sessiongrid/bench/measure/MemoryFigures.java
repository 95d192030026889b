package org.sessiongrid.bench.measure;

/**
 * Heap for 10,000 sessions of 1 KiB, measured on a 3-node farm after a full GC and scaled from the sessions
 * actually created: once the sessions are idle (for SessionGrid on Tomcat, once the nodes dropped their idle
 * decoded copies, {@code copyIdleTimeout}), and right after their creation.
 *
 * @param sessions sessions created
 * @param perNodeBytes average growth of one node's live heap, per 10,000 sessions in the farm
 * @param farmBytes growth of all nodes together (plus redis-server's used_memory for Redisson), per 10,000
 * @param storeBytes the external store's part of farmBytes (redis-server), 0 for the others
 * @param justCreatedFarmBytes farmBytes right after the sessions were created (the same figure where nothing is
 *        dropped when idle)
 */
public record MemoryFigures(int sessions, long perNodeBytes, long farmBytes, long storeBytes, long justCreatedFarmBytes) {
}
