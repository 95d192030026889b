package org.sessiongrid.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one grid member. Thread-safe and cheap to update from any thread (striped adders);
 * readers get a consistent-enough snapshot for monitoring.
 */
public final class GridStats {

    private final LongAdder commits = new LongAdder();
    private final LongAdder remoteCommits = new LongAdder();
    private final LongAdder reads = new LongAdder();
    private final LongAdder remoteReads = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder fullRecordResends = new LongAdder();
    private final LongAdder lostSegments = new LongAdder();
    private final LongAdder lostSessions = new LongAdder();
    private final LongAdder recordsTransferred = new LongAdder();
    private final LongAdder catchUps = new LongAdder();
    private final LongAdder recordsKeptByCatchUps = new LongAdder();
    private final LongAdder restoredSegments = new LongAdder();
    private final LongAdder restoredRecords = new LongAdder();
    private final LongAdder restoredLostRecords = new LongAdder();
    private final LongAdder rebalancesCompleted = new LongAdder();
    private final LongAdder mergeConflicts = new LongAdder();
    private final LongAdder quarantined = new LongAdder();
    private final LongAdder lateCommits = new LongAdder();
    private final LongAdder fencedCommits = new LongAdder();
    private final LongAdder suspicionsRaised = new LongAdder();
    private final LongAdder suspectsExcluded = new LongAdder();
    private final LongAdder exclusionsDeferred = new LongAdder();
    private final LongAdder exitsProven = new LongAdder();
    private final LatencyHistogram replication = new LatencyHistogram();

    /** Every counter at zero. */
    public GridStats() {
    }
    private final ConcurrentHashMap<String, LongAdder> dropped = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Tally> sent = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Tally> received = new ConcurrentHashMap<>();

    /** Messages and bytes of one type, one way. */
    private static final class Tally {
        final LongAdder messages = new LongAdder();
        final LongAdder bytes = new LongAdder();

        MessageCounts read() {
            return new MessageCounts(messages.sum(), bytes.sum());
        }
    }

    private static void count(ConcurrentHashMap<String, Tally> tallies, String type, int bytes) {
        Tally t = tallies.get(type);
        if (t == null) {
            t = tallies.computeIfAbsent(type, x -> new Tally());
        }
        t.messages.increment();
        t.bytes.add(bytes);
    }

    private static Map<String, MessageCounts> byType(ConcurrentHashMap<String, Tally> tallies) {
        Map<String, MessageCounts> out = new TreeMap<>();
        tallies.forEach((type, t) -> out.put(type, t.read()));
        return out;
    }

    private static MessageCounts total(ConcurrentHashMap<String, Tally> tallies) {
        MessageCounts sum = MessageCounts.NONE;
        for (Tally t : tallies.values()) {
            sum = sum.plus(t.read());
        }
        return sum;
    }

    /** A primary's change reached all backups after {@code nanos}. */
    public void replicated(long nanos) {
        replication.recordNanos(nanos);
    }

    public LatencyHistogram replicationLatency() {
        return replication;
    }

    /** A merge found {@code n} sessions whose copies differed between partitions. */
    public void mergeConflicts(long n) {
        mergeConflicts.add(n);
    }

    public long mergeConflicts() {
        return mergeConflicts.sum();
    }

    /** An adapter could not read an attribute and quarantined it. */
    public void quarantined() {
        quarantined.increment();
    }

    public long quarantinedAttributes() {
        return quarantined.sum();
    }

    /**
     * Counts a session change an application made after its response was committed: stored at the
     * request's end, after the client could already send its next request to another node.
     */
    public void lateCommit() {
        lateCommits.increment();
    }

    public long lateCommits() {
        return lateCommits.sum();
    }

    /**
     * Counts an update this member refused as primary because it would overwrite a change made after its
     * base under a newer topology: a request that started before a failover its member did not see.
     */
    public void fencedCommit() {
        fencedCommits.increment();
    }

    public long fencedCommits() {
        return fencedCommits.sum();
    }

    /**
     * Counts a suspicion this member raised: another member left a replicate or a call to it unanswered for
     * longer than {@code backupTimeout}.
     */
    public void suspicionRaised() {
        suspicionsRaised.increment();
    }

    public long suspicionsRaised() {
        return suspicionsRaised.sum();
    }

    /** Counts a member this member suspected that the view then left out (it did not answer JGroups' check). */
    public void suspectExcluded() {
        suspectsExcluded.increment();
    }

    public long suspectsExcluded() {
        return suspectsExcluded.sum();
    }

    /**
     * Counts a suspect this member left to failure detection instead of having JGroups check it: its exclusion
     * would have left a segment without an owner, or suspicion was widespread (a slow machine, not gone members).
     */
    public void exclusionDeferred() {
        exclusionsDeferred.increment();
    }

    public long exclusionsDeferred() {
        return exclusionsDeferred.sum();
    }

    /**
     * Counts a suspected member whose process this member proved gone (its host refused a connection to the
     * port it listened on) and had excluded without waiting for JGroups' verification.
     */
    public void exitProven() {
        exitsProven.increment();
    }

    public long exitsProven() {
        return exitsProven.sum();
    }

    public void commit(boolean remote) {
        (remote ? remoteCommits : commits).increment();
    }

    public void read(boolean remote) {
        (remote ? remoteReads : reads).increment();
    }

    public void retry() {
        retries.increment();
    }

    public void fullRecordResend() {
        fullRecordResends.increment();
    }

    public void lostSegments(int segments, long sessions) {
        lostSegments.add(segments);
        lostSessions.add(sessions);
    }

    public void recordsTransferred(int n) {
        recordsTransferred.add(n);
    }

    /** A pull after a rejoin ended that offered kept copies; {@code current} of them did not need to travel. */
    public void caughtUp(long current) {
        catchUps.increment();
        recordsKeptByCatchUps.add(current);
    }

    /** A rejoining member put back the kept copies of segments it alone owned: {@code records} copies of {@code segments}. */
    public void restoredSegments(int segments, long records) {
        restoredSegments.add(segments);
        restoredRecords.add(records);
    }

    /** A member back from an absence pushed kept copies of segments lost with it: {@code records} were unknown and came back. */
    public void restoredLostRecords(long records) {
        restoredLostRecords.add(records);
    }

    public void rebalanceCompleted() {
        rebalancesCompleted.increment();
    }

    /** Counts a message dropped for {@code reason} (malformed kinds, busy, stale). */
    public void dropped(String reason) {
        dropped.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    public long localCommits() {
        return commits.sum();
    }

    public long remoteCommits() {
        return remoteCommits.sum();
    }

    public long localReads() {
        return reads.sum();
    }

    public long remoteReads() {
        return remoteReads.sum();
    }

    public long retries() {
        return retries.sum();
    }

    public long fullRecordResends() {
        return fullRecordResends.sum();
    }

    public long lostSegments() {
        return lostSegments.sum();
    }

    public long lostSessions() {
        return lostSessions.sum();
    }

    public long recordsTransferred() {
        return recordsTransferred.sum();
    }

    public long catchUps() {
        return catchUps.sum();
    }

    public long recordsKeptByCatchUps() {
        return recordsKeptByCatchUps.sum();
    }

    public long restoredSegments() {
        return restoredSegments.sum();
    }

    public long restoredRecords() {
        return restoredRecords.sum();
    }

    public long restoredLostRecords() {
        return restoredLostRecords.sum();
    }

    public long rebalancesCompleted() {
        return rebalancesCompleted.sum();
    }

    /** Dropped messages by reason, sorted by reason. */
    public Map<String, Long> droppedByReason() {
        Map<String, Long> out = new TreeMap<>();
        dropped.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /**
     * This member's transport handed a SessionGrid message of {@code type} (request or reply) to
     * JGroups: see {@link #messagesSent()}.
     */
    public void messageSent(String type, int bytes) {
        count(sent, type, bytes);
    }

    /** This member's transport received a SessionGrid message of {@code type}: see {@link #messagesReceived()}. */
    public void messageReceived(String type, int bytes) {
        count(received, type, bytes);
    }

    /**
     * SessionGrid messages this member sent since start: every request, once per target member (a
     * change replicated to two backups is two messages), and every reply. Bytes are their encoded
     * length, without JGroups' headers and framing; JGroups' own messages (heartbeats,
     * acknowledgements, retransmissions, flow-control credits, views, discovery, merges) are not
     * counted, nor is a message split in fragments counted more than once.
     */
    public MessageCounts messagesSent() {
        return total(sent);
    }

    /**
     * SessionGrid messages this member received since start, requests and replies, counted as
     * {@link #messagesSent()} counts them; a message that could not be decoded counts as type
     * {@code malformed}. Replies that arrive after their request ended (timed out) are not counted.
     */
    public MessageCounts messagesReceived() {
        return total(received);
    }

    /** {@link #messagesSent()} by message type (the simple name of its class), sorted by type. */
    public Map<String, MessageCounts> messagesSentByType() {
        return byType(sent);
    }

    /** {@link #messagesReceived()} by message type, sorted by type. */
    public Map<String, MessageCounts> messagesReceivedByType() {
        return byType(received);
    }

    public long droppedTotal() {
        return dropped.values().stream().mapToLong(LongAdder::sum).sum();
    }
}
