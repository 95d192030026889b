package org.sessiongrid.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
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

    /**
     * Slots of the per-type message tallies: a slot per wire type code (0 to 255), and {@value #MALFORMED_SLOT} for
     * messages that could not be decoded.
     */
    public static final int MESSAGE_SLOTS = 257;

    /** The slot of messages that could not be decoded. */
    public static final int MALFORMED_SLOT = 256;

    /**
     * Every message passes here once each way, on every thread that sends or delivers one: a tally is found by
     * its slot, an array index, and made only the first time its type is counted.
     */
    private final AtomicReferenceArray<Tally> sent = new AtomicReferenceArray<>(MESSAGE_SLOTS);
    private final AtomicReferenceArray<Tally> received = new AtomicReferenceArray<>(MESSAGE_SLOTS);

    /** Messages and bytes of one type, one way. */
    private static final class Tally {
        final String type;
        final LongAdder messages = new LongAdder();
        final LongAdder bytes = new LongAdder();

        Tally(String type) {
            this.type = type;
        }

        MessageCounts read() {
            return new MessageCounts(messages.sum(), bytes.sum());
        }
    }

    private static void count(AtomicReferenceArray<Tally> tallies, int slot, String type, int messages, long bytes) {
        Tally t = tallies.get(slot);
        if (t == null) {
            tallies.compareAndSet(slot, null, new Tally(type));
            t = tallies.get(slot);
        }
        t.messages.add(messages);
        t.bytes.add(bytes);
    }

    private static Map<String, MessageCounts> byType(AtomicReferenceArray<Tally> tallies) {
        Map<String, MessageCounts> out = new TreeMap<>();
        for (int i = 0; i < tallies.length(); i++) {
            Tally t = tallies.get(i);
            if (t != null) {
                out.put(t.type, t.read());
            }
        }
        return out;
    }

    private static MessageCounts total(AtomicReferenceArray<Tally> tallies) {
        MessageCounts sum = MessageCounts.NONE;
        for (int i = 0; i < tallies.length(); i++) {
            Tally t = tallies.get(i);
            if (t != null) {
                sum = sum.plus(t.read());
            }
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
     * This member's transport handed {@code messages} SessionGrid messages of one type (requests or replies) to
     * JGroups, {@code bytes} in all: see {@link #messagesSent()}.
     *
     * @param slot the type's wire code, or {@link #MALFORMED_SLOT}; one slot always comes with the same type
     * @param type the type's name under which {@link #messagesSentByType()} shows it
     */
    public void messagesSent(int slot, String type, int messages, long bytes) {
        count(sent, slot, type, messages, bytes);
    }

    /**
     * This member's transport received {@code messages} SessionGrid messages of one type, {@code bytes} in all: see
     * {@link #messagesReceived()}; the parameters as for {@link #messagesSent(int, String, int, long)}.
     */
    public void messagesReceived(int slot, String type, int messages, long bytes) {
        count(received, slot, type, messages, bytes);
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
