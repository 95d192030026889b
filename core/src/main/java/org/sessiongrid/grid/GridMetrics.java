package org.sessiongrid.grid;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jgroups.View;
import org.sessiongrid.metrics.GridMetricsMXBean;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.metrics.MessageCounts;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/** The JMX view of one member, read on demand from the member's state (nothing is cached). */
final class GridMetrics implements GridMetricsMXBean {

    private final GridNode node;

    GridMetrics(GridNode node) {
        this.node = node;
    }

    private GridStats stats() {
        return node.stats();
    }

    @Override
    public String getClusterName() {
        return node.config().clusterName();
    }

    @Override
    public String getMemberName() {
        return String.valueOf(node.self());
    }

    @Override
    public List<String> getMembers() {
        return node.viewMembers().stream().map(Member::toString).toList();
    }

    @Override
    public long getViewId() {
        View v = node.transport().view();
        return v == null ? 0 : v.getViewId().getId();
    }

    @Override
    public long getTopologyId() {
        Topology t = node.topology();
        return t == null ? 0 : t.id();
    }

    @Override
    public boolean isCoordinator() {
        List<Member> v = node.viewMembers();
        return !v.isEmpty() && v.get(0).equals(node.self());
    }

    @Override
    public boolean isRebalanceInProgress() {
        Topology t = node.topology();
        return t != null && t.isRebalancing();
    }

    @Override
    public int getRebalanceSegmentsPending() {
        return node.segmentsPendingTransfer();
    }

    @Override
    public long getRecordsTransferred() {
        return stats().recordsTransferred();
    }

    @Override
    public long getRebalancesCompleted() {
        return stats().rebalancesCompleted();
    }

    @Override
    public long getCatchUps() {
        return stats().catchUps();
    }

    @Override
    public long getRecordsKeptByCatchUps() {
        return stats().recordsKeptByCatchUps();
    }

    @Override
    public long getRestoredSegments() {
        return stats().restoredSegments();
    }

    @Override
    public long getRestoredRecords() {
        return stats().restoredRecords();
    }

    @Override
    public long getRestoredLostRecords() {
        return stats().restoredLostRecords();
    }

    @Override
    public int getPrimarySegments() {
        Topology t = node.topology();
        return t == null ? 0 : t.readTable().primaryCount(node.self());
    }

    @Override
    public int getBackupSegments() {
        Topology t = node.topology();
        return t == null ? 0 : t.readTable().ownedCount(node.self()) - t.readTable().primaryCount(node.self());
    }

    private long[] sessionsByRole() {
        Topology t = node.topology();
        long[] out = new long[3]; // primary, backup, bytes
        if (t == null) {
            return out;
        }
        Member me = node.self();
        for (int s = 0; s < t.numSegments(); s++) {
            boolean primary = me.equals(t.primary(s));
            for (SessionRecord r : node.records().records(s)) {
                out[2] += r.sizeBytes();
                if (!r.isTombstone()) {
                    out[primary ? 0 : 1]++;
                }
            }
        }
        return out;
    }

    @Override
    public long getPrimarySessions() {
        return sessionsByRole()[0];
    }

    @Override
    public long getBackupSessions() {
        return sessionsByRole()[1];
    }

    @Override
    public long getBytesHeld() {
        return sessionsByRole()[2];
    }

    @Override
    public long getReplicationLatencyP50Micros() {
        return stats().replicationLatency().percentileMicros(50);
    }

    @Override
    public long getReplicationLatencyP99Micros() {
        return stats().replicationLatency().percentileMicros(99);
    }

    @Override
    public long getLostSegments() {
        return stats().lostSegments();
    }

    @Override
    public long getLostSessions() {
        return stats().lostSessions();
    }

    @Override
    public long getMergeConflicts() {
        return stats().mergeConflicts();
    }

    @Override
    public long getDroppedMessages() {
        return stats().droppedTotal();
    }

    @Override
    public Map<String, Long> getDroppedMessagesByReason() {
        return stats().droppedByReason();
    }

    @Override
    public long getQuarantinedAttributes() {
        return stats().quarantinedAttributes();
    }

    @Override
    public long getMessagesSent() {
        return stats().messagesSent().messages();
    }

    @Override
    public long getBytesSent() {
        return stats().messagesSent().bytes();
    }

    @Override
    public long getMessagesReceived() {
        return stats().messagesReceived().messages();
    }

    @Override
    public long getBytesReceived() {
        return stats().messagesReceived().bytes();
    }

    @Override
    public Map<String, Long> getMessagesSentByType() {
        return messages(stats().messagesSentByType());
    }

    @Override
    public Map<String, Long> getMessagesReceivedByType() {
        return messages(stats().messagesReceivedByType());
    }

    private static Map<String, Long> messages(Map<String, MessageCounts> byType) {
        Map<String, Long> out = new TreeMap<>();
        byType.forEach((type, c) -> out.put(type, c.messages()));
        return out;
    }

    @Override
    public long getCommits() {
        return stats().localCommits() + stats().remoteCommits();
    }

    @Override
    public long getRetries() {
        return stats().retries();
    }

    @Override
    public long getLateCommits() {
        return stats().lateCommits();
    }

    @Override
    public long getFencedCommits() {
        return stats().fencedCommits();
    }

    @Override
    public long getSuspicionsRaised() {
        return stats().suspicionsRaised();
    }

    @Override
    public long getSuspectsExcluded() {
        return stats().suspectsExcluded();
    }

    @Override
    public long getExclusionsDeferred() {
        return stats().exclusionsDeferred();
    }

    @Override
    public long getExitsProven() {
        return stats().exitsProven();
    }

    @Override
    public String sessionOwners(String sessionId) {
        if (sessionId == null || sessionId.isBlank()) {
            throw new IllegalArgumentException("sessionOwners needs a session id");
        }
        // Placement depends on the id only, so any namespace gives the same owners.
        SessionOwners o = new GridSessionStore(node, "").owners(sessionId);
        if (o.primary() == null) {
            return "";
        }
        List<String> all = new java.util.ArrayList<>();
        all.add(o.primary());
        all.addAll(o.backups());
        return String.join(",", all);
    }
}
