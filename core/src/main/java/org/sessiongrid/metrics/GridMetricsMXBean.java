package org.sessiongrid.metrics;

import java.util.List;
import java.util.Map;

/**
 * What one grid member exposes over JMX (and the status endpoint). Registered by core as
 * {@code org.sessiongrid:type=SessionGrid,cluster=<clusterName>,member=<nodeName>}; container
 * adapters may register the same object under their own names.
 */
public interface GridMetricsMXBean {

    String getClusterName();

    String getMemberName();

    /** Members of the current view, coordinator first. */
    List<String> getMembers();

    long getViewId();

    long getTopologyId();

    boolean isCoordinator();

    boolean isRebalanceInProgress();

    /** Segments this member still has to pull in the current rebalance. */
    int getRebalanceSegmentsPending();

    /** Records received by segment transfers since start. */
    long getRecordsTransferred();

    long getRebalancesCompleted();

    /**
     * Pulls after a rejoin that offered the copies this member kept from before its absence, so that only what
     * changed meanwhile travelled. Each one is also a log line.
     */
    long getCatchUps();

    /**
     * Records the catch-ups did not transfer because the copy kept from before the absence was still current
     * (compare {@link #getRecordsTransferred()}, the records that did travel).
     */
    long getRecordsKeptByCatchUps();

    /**
     * Segments this member was the only owner of when it had to rejoin after a pause, restored from the copies it
     * set aside instead of restarting empty (each restore is also a log line; compare {@link #getLostSegments()}).
     */
    long getRestoredSegments();

    /** The records those restores put back. */
    long getRestoredRecords();

    /**
     * Sessions of segments lost with this member (every owner departed with it, the segment restarted empty) that it
     * pushed back to their primaries from the copies it set aside when it joined again, and that were still unknown
     * there (each such restore is also a log line; compare {@link #getLostSessions()}).
     */
    long getRestoredLostRecords();

    int getPrimarySegments();

    int getBackupSegments();

    /** Live sessions (not tombstones) this member is primary of. */
    long getPrimarySessions();

    /** Live sessions this member holds as a backup. */
    long getBackupSessions();

    /** Approximate bytes of the records held (primary and backup, tombstones included). */
    long getBytesHeld();

    /** Time for a primary's change to be applied by all its backups, 50th percentile, microseconds. */
    long getReplicationLatencyP50Micros();

    long getReplicationLatencyP99Micros();

    long getLostSegments();

    long getLostSessions();

    long getMergeConflicts();

    long getDroppedMessages();

    Map<String, Long> getDroppedMessagesByReason();

    long getQuarantinedAttributes();

    /**
     * SessionGrid messages this member's transport handed to JGroups since start: every request once
     * per target member (a change replicated to two backups counts two) and every reply, refusals and
     * failures included. Not counted: JGroups' own messages (heartbeats, acknowledgements and
     * retransmissions, flow-control credits, views, discovery, merges), and fragments (a message split
     * by JGroups counts once). Summed over the members and divided by the sum of their
     * {@link #getCommits()}, it gives the messages per write of a write-only load.
     */
    long getMessagesSent();

    /**
     * Bytes of the messages of {@link #getMessagesSent()} as SessionGrid encodes them: the payload
     * JGroups carries, without its headers and framing.
     */
    long getBytesSent();

    /**
     * SessionGrid messages this member's transport received since start, requests and replies,
     * counted as {@link #getMessagesSent()} counts them (undecodable ones as type {@code malformed});
     * a reply that arrives after its request timed out is dropped by JGroups and not counted.
     */
    long getMessagesReceived();

    /** Bytes of the messages of {@link #getMessagesReceived()}, as {@link #getBytesSent()} counts them. */
    long getBytesReceived();

    /** {@link #getMessagesSent()} by message type (e.g. {@code ReplicateRequest}, {@code Ack}). */
    Map<String, Long> getMessagesSentByType();

    /** {@link #getMessagesReceived()} by message type. */
    Map<String, Long> getMessagesReceivedByType();

    long getCommits();

    long getRetries();

    /**
     * Session changes made after the response was committed (the client had its answer before they
     * were stored). On a round-robin farm the user's next request may miss such a change if it
     * arrives before the request ends; a sticky farm never sees the difference.
     */
    long getLateCommits();

    /**
     * Commits this member refused as primary because they would overwrite, or end, what the cluster
     * acknowledged meanwhile: their request read the session before a failover its member did not see (it
     * was paused or cut off) and changed an attribute or metadata that a newer topology's primary changed
     * since, or invalidated (or moved to a new id) a session changed since under a newer topology. The client
     * of such a request got an error and nothing was applied. 0 on a healthy farm; each one is also a log line.
     */
    long getFencedCommits();

    /**
     * Suspicions this member raised: another member left a replicate or a call to it unanswered for longer
     * than {@code backupTimeout} (hung, paused, cut off, or only slow). JGroups then asks the suspect; a member
     * that answers is kept. Each one is also a log line.
     */
    long getSuspicionsRaised();

    /**
     * Members this member suspected that were then excluded from the view (they did not answer JGroups'
     * check either). Each one is also a log line.
     */
    long getSuspectsExcluded();

    /**
     * Suspects this member, acting on suspicions, left to failure detection instead of having JGroups check them:
     * excluding them on a timeout would have left a segment without an owner, or more than half of the other
     * members were suspected at once (a starved machine or a slow network, not gone members). Each one is also a
     * log line.
     */
    long getExclusionsDeferred();

    /**
     * Suspected members whose process this member proved gone and had excluded at once, without waiting for
     * JGroups' verification: the host refused a connection to the port the member listened on (a killed
     * process; a stopped or paused one is still accepted). Counted at the member that acts on suspicions (the
     * coordinator). Each one is also a log line.
     */
    long getExitsProven();

    /**
     * Where a session lives under this member's topology: {@code "primary,backup1,backup2"} (empty when
     * this member has no topology). A JMX operation, so monitoring tools and webapps can show it. The
     * placement depends on the session id alone (a {@code .route} suffix is ignored), not on the webapp.
     */
    String sessionOwners(String sessionId);
}
