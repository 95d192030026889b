package org.sessiongrid.bench.measure;

import java.util.Map;

/**
 * A SessionGrid node's own counters as its status page gives them (the member's MBean): what a loaded window
 * made it send, the commits it ran as a session's primary, the remote commits it sent to another member (a
 * write served here whose primary is elsewhere), and whether the topology moved meanwhile.
 *
 * @param commits commits this member ran as primary (its own writes and those other members sent it)
 * @param messagesSent SessionGrid messages sent (every target counts; JGroups' own not)
 * @param bytesSent their encoded bytes
 * @param remoteCommitsSent {@code CommitRequest}s sent: writes served here whose session's primary is elsewhere
 * @param replicationsSent {@code ReplicateRequest}s sent: a primary's copies to its backups
 * @param suspicions members this member suspected
 * @param exclusions suspected members then excluded
 * @param rebalances rebalances completed
 * @param topologyId the topology installed
 */
public record GridCounters(long commits, long messagesSent, long bytesSent, long remoteCommitsSent,
                           long replicationsSent, long suspicions, long exclusions, long rebalances, long topologyId) {

    /** A node that gave no status (not SessionGrid, or not answering). */
    public static final GridCounters NONE = new GridCounters(0, 0, 0, 0, 0, 0, 0, 0, -1);

    /** The counters of a status page's {@code key=value} lines; {@link #NONE} without them. */
    public static GridCounters of(Map<String, String> status) {
        if (!status.containsKey("MessagesSent")) {
            return NONE;
        }
        Map<String, Long> byType = new java.util.HashMap<>();
        for (String pair : status.getOrDefault("MessagesSentByType", "").split(",")) {
            int colon = pair.lastIndexOf(':');
            if (colon > 0) {
                byType.put(pair.substring(0, colon), Long.parseLong(pair.substring(colon + 1)));
            }
        }
        return new GridCounters(number(status, "Commits"), number(status, "MessagesSent"),
                number(status, "BytesSent"), byType.getOrDefault("CommitRequest", 0L),
                byType.getOrDefault("ReplicateRequest", 0L), number(status, "SuspicionsRaised"),
                number(status, "SuspectsExcluded"), number(status, "RebalancesCompleted"), number(status, "TopologyId"));
    }

    /** What happened from {@code before} to this reading; the topology is this reading's. */
    public GridCounters since(GridCounters before) {
        return new GridCounters(commits - before.commits, messagesSent - before.messagesSent,
                bytesSent - before.bytesSent, remoteCommitsSent - before.remoteCommitsSent,
                replicationsSent - before.replicationsSent, suspicions - before.suspicions,
                exclusions - before.exclusions, rebalances - before.rebalances, topologyId);
    }

    private static long number(Map<String, String> status, String key) {
        String v = status.getOrDefault(key, "0").trim();
        return v.isEmpty() ? 0 : Long.parseLong(v);
    }
}
