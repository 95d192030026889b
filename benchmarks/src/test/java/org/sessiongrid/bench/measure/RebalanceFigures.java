package org.sessiongrid.bench.measure;

/**
 * A fourth member joins a 3-member SessionGrid holding {@code sessions} sessions of 1 KiB.
 *
 * @param stableMillis from the new node's start until all four run one settled topology
 * @param joinedMillis from the start until the new node served (its JVM and Tomcat start included)
 * @param recordsMoved records received by segment transfers, all members together
 * @param bytesMoved recordsMoved times the average record size
 * @param minimumBytes the theoretical minimum: the new member's share of all copies (sessions × 3 / 4 records)
 * @param p99Millis latency p99 of the sticky load while the node joined
 * @param errors failed requests while it joined
 */
public record RebalanceFigures(int sessions, long stableMillis, long joinedMillis, long recordsMoved, long bytesMoved,
                               long minimumBytes, double p99Millis, double throughput, long errors, long violations) {
}
