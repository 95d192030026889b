package org.sessiongrid.wire;

import java.util.BitSet;
import java.util.List;
import java.util.Objects;

import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/**
 * Every message grid members exchange. Requests and their replies are plain immutable values; the
 * {@link WireCodec} turns them into bytes and back. Messages that act on session data carry the
 * sender's topology id so that the receiver can refuse work planned under another topology.
 */
public sealed interface GridMessage {

    // ---- membership and topology ----

    /** A node asks the coordinator to take part in the grid; its settings must match the cluster's. */
    record JoinRequest(int numSegments, int numOwners) implements GridMessage {
    }

    /**
     * A member that set its copies aside (after a pause or a cut that may have cost it its place) asks to join
     * again, naming the segments it kept copies of: whichever member coordinates then gives it those back where
     * that costs no more transfers, and the member catches up on them instead of receiving them whole. Answered
     * {@link JoinReply}. A coordinator of a version without this type answers it as malformed; the member then
     * sends a {@link JoinRequest}.
     */
    record RejoinRequest(int numSegments, int numOwners, BitSet keptSegments) implements GridMessage {
        public RejoinRequest {
            keptSegments = (BitSet) keptSegments.clone();
        }

        @Override
        public BitSet keptSegments() {
            return (BitSet) keptSegments.clone();
        }
    }

    /** The coordinator's answer to a join: the topology to install, or why the node is refused. */
    record JoinReply(boolean accepted, String reason, Topology topology) implements GridMessage {
    }

    /**
     * The coordinator's answer to a {@link RejoinRequest}: a {@link JoinReply}'s fields and the segments of those
     * the member kept that were lost with it ({@code lostSegments}: every owner departed with it, and the segment
     * restarted empty in topology {@code lostInTopology}; empty and 0 when none). The member pushes its kept copies
     * of those segments to their primaries ({@link RestoreRecords}). Sent only in answer to a {@link RejoinRequest},
     * which no member of a version without this type sends.
     */
    record RejoinReply(boolean accepted, String reason, Topology topology, BitSet lostSegments, long lostInTopology)
            implements GridMessage {
        public RejoinReply {
            lostSegments = (BitSet) lostSegments.clone();
        }

        @Override
        public BitSet lostSegments() {
            return (BitSet) lostSegments.clone();
        }
    }

    /** A node asks to leave gracefully; answered once its segments have been handed over. */
    record LeaveRequest() implements GridMessage {
    }

    /** The coordinator installs a topology on every member. */
    record TopologyUpdate(Topology topology) implements GridMessage {
        public TopologyUpdate {
            Objects.requireNonNull(topology, "topology");
        }
    }

    /**
     * A member's answer to {@link TopologyUpdate}: how many live sessions it holds in each segment it
     * is primary of under the new topology. The coordinator keeps these so that, should every owner of
     * a segment fail at once, it can say how many sessions were lost.
     */
    record SegmentCounts(int[] segments, int[] sessions) implements GridMessage {
        public SegmentCounts {
            if (segments.length != sessions.length) {
                throw new IllegalArgumentException("segment counts: " + segments.length + " segments, "
                        + sessions.length + " counts");
            }
            segments = segments.clone();
            sessions = sessions.clone();
        }

        @Override
        public int[] segments() {
            return segments.clone();
        }

        @Override
        public int[] sessions() {
            return sessions.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SegmentCounts c && java.util.Arrays.equals(c.segments, segments)
                    && java.util.Arrays.equals(c.sessions, sessions);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(segments) * 31 + java.util.Arrays.hashCode(sessions);
        }

        @Override
        public String toString() {
            return "SegmentCounts[" + segments.length + " segments]";
        }
    }

    /** A new coordinator asks a member for its topology and whether it has joined. */
    record TopologyQuery() implements GridMessage {
    }

    /**
     * A member's answer to {@link TopologyQuery}. {@code seesSender}: the asker is in the answering member's
     * view (after a heal or a pause a member's view can list members whose views do not list it).
     */
    record TopologyStatus(Topology topology, boolean joined, int numSegments, int numOwners, boolean seesSender)
            implements GridMessage {
    }

    /**
     * A new coordinator asks a member which segments it keeps copies of from an absence, so that the rebalance
     * that takes it back gives those back even when the member joined through a coordinator that is gone. Answered
     * {@link KeptSegments}; a member of a version without this type answers it as malformed.
     */
    record KeptQuery() implements GridMessage {
    }

    /** A member's answer to {@link KeptQuery}: the segments it keeps copies of (empty when none). */
    record KeptSegments(BitSet segments) implements GridMessage {
        public KeptSegments {
            segments = (BitSet) segments.clone();
        }

        @Override
        public BitSet segments() {
            return (BitSet) segments.clone();
        }
    }

    /** A member reports that it holds every segment it must pull under the given topology. */
    record RebalanceConfirm(long topologyId) implements GridMessage {
    }

    /**
     * A member tells the others that {@code memberId} left a request unanswered for longer than
     * {@code backupTimeout}; {@code reason} says which, for the receivers' logs. The receiver that would
     * coordinate without the members suspected lately has JGroups verify them and exclude those that are
     * silent. Answered {@link Ack}.
     */
    record Suspect(String memberId, String reason) implements GridMessage {
    }

    // ---- session data ----

    /** What a commit does to the record. Wire codes: {@link WireTypes#COMMIT_KINDS}. */
    enum CommitKind {
        CREATE, UPDATE, INVALIDATE,
        /** Replace by a tombstone if (still) expired; only a primary sends this, to itself. */
        EXPIRE,
        /** Take the session's lock for {@code lockToken}, waiting up to {@code lockWaitMillis}. */
        LOCK,
        /** Release the lock held by {@code lockToken}. */
        UNLOCK,
        /**
         * The expiry's listeners are about to be called: strip the expiry tombstone to a plain one. Only
         * the caller whose announcement changed the record calls them. A container's announcement
         * carries an {@code opId}, so that the same announcement retried after a failover is answered OK
         * again rather than taken for someone else's.
         */
        ANNOUNCE,
        /**
         * A container claims the session's expiry: replace the live record by an unannounced expiry
         * tombstone naming the claim's {@code lockToken} (whatever the record's expiry time: the
         * container judged it). The claimant then owes the listener calls and announces before making
         * them; the primary announces instead once the claimant left the topology or the claim's lease
         * ran out.
         */
        CLAIM
    }

    /**
     * A change sent to a segment's primary. {@code baseVersion} is the version the sender's copy had,
     * so that the reply can bring that copy up to date with changes others made meanwhile.
     * {@code opId} identifies the commit across retries (0: none), so that a commit retried after a
     * failover is not applied twice; {@code lockToken} names the lock the sender holds (null: none).
     */
    record CommitRequest(long topologyId, SessionKey key, CommitKind kind, long baseVersion, SessionDelta delta,
                         int tombstoneSeconds, long opId, String lockToken, long lockWaitMillis) implements GridMessage {

        /** Kinds that carry no attribute changes send this delta. */
        private static final SessionDelta NO_CHANGES = SessionDelta.builder().build();

        /** Creates the session with {@code delta}; {@code opId} (0: none) makes a retried create idempotent. */
        public static CommitRequest create(long topologyId, SessionKey key, SessionDelta delta, long opId) {
            return new CommitRequest(topologyId, key, CommitKind.CREATE, 0, delta, 0, opId, null, 0);
        }

        /**
         * Applies {@code delta} to the session, whose copy at the sender is at {@code baseVersion}; with a
         * {@code lockToken} (null: none) only while that token still holds the session's lock.
         */
        public static CommitRequest update(long topologyId, SessionKey key, long baseVersion, SessionDelta delta,
                                           long opId, String lockToken) {
            return new CommitRequest(topologyId, key, CommitKind.UPDATE, baseVersion, delta, 0, opId, lockToken, 0);
        }

        /** Ends the session whatever its sender read; its tombstone is kept {@code tombstoneSeconds}. */
        public static CommitRequest invalidate(long topologyId, SessionKey key, int tombstoneSeconds) {
            return invalidate(topologyId, key, 0, tombstoneSeconds);
        }

        /**
         * Ends the session, whose copy at the sender is at {@code baseVersion} (0: none, as an older member
         * sends it), so that the primary can refuse the end of a session changed since under a newer
         * topology; its tombstone is kept {@code tombstoneSeconds}. The field is the one an update's base
         * travels in, so the message's layout is the same as without a base.
         */
        public static CommitRequest invalidate(long topologyId, SessionKey key, long baseVersion, int tombstoneSeconds) {
            return new CommitRequest(topologyId, key, CommitKind.INVALIDATE, baseVersion, NO_CHANGES, tombstoneSeconds, 0,
                    null, 0);
        }

        /** Expires the session if it is (still) due; only a primary sends this, to itself. */
        public static CommitRequest expire(long topologyId, SessionKey key, int tombstoneSeconds) {
            return new CommitRequest(topologyId, key, CommitKind.EXPIRE, 0, NO_CHANGES, tombstoneSeconds, 0, null, 0);
        }

        /** A container claims the session's expiry under {@code claimToken} (see {@link CommitKind#CLAIM}). */
        public static CommitRequest claim(long topologyId, SessionKey key, int tombstoneSeconds, String claimToken) {
            return new CommitRequest(topologyId, key, CommitKind.CLAIM, 0, NO_CHANGES, tombstoneSeconds, 0, claimToken, 0);
        }

        /** Records that the expiry's listeners are about to be called (see {@link CommitKind#ANNOUNCE}). */
        public static CommitRequest announce(long topologyId, SessionKey key, int tombstoneSeconds, long opId) {
            return new CommitRequest(topologyId, key, CommitKind.ANNOUNCE, 0, NO_CHANGES, tombstoneSeconds, opId, null, 0);
        }

        /** Takes the session's lock for {@code lockToken}, waiting up to {@code waitMillis} for another holder. */
        public static CommitRequest lock(long topologyId, SessionKey key, String lockToken, long waitMillis) {
            return new CommitRequest(topologyId, key, CommitKind.LOCK, 0, NO_CHANGES, 0, 0, lockToken, waitMillis);
        }

        /** Releases the session's lock if {@code lockToken} holds it. */
        public static CommitRequest unlock(long topologyId, SessionKey key, String lockToken) {
            return new CommitRequest(topologyId, key, CommitKind.UNLOCK, 0, NO_CHANGES, 0, 0, lockToken, 0);
        }
    }

    /** Outcome of a commit at the primary. Wire codes: {@link WireTypes#COMMIT_STATUSES}. */
    enum CommitStatus {
        OK, MISSING, INVALIDATED, EXISTS,
        /** LOCK: another holder kept the lock for the whole wait. */
        LOCKED,
        /** UPDATE with a lock token that no longer holds the lock: nothing was applied. */
        LOCK_LOST,
        /** EXPIRE: the session was used meanwhile. */
        NOT_EXPIRED,
        /**
         * UPDATE whose base predates a change, made under a newer topology, of an attribute or metadata it
         * writes, or INVALIDATE whose base predates any change made under a newer topology: work that started
         * before a failover it did not see (its member was paused or cut off). Nothing was applied.
         */
        FENCED
    }

    /**
     * The primary's answer: the new version and the changes from the sender's base version to it
     * (null when the sender's copy plus its own delta already is the new record).
     */
    record CommitReply(CommitStatus status, long version, RecordChanges changes) implements GridMessage {
    }

    /** Asks a primary whether {@code knownVersion} is still current; 0 asks for the whole record. */
    record ReadRequest(long topologyId, SessionKey key, long knownVersion) implements GridMessage {
    }

    /** Outcome of a read. Wire codes: {@link WireTypes#READ_STATUSES}. */
    enum ReadStatus { NOT_MODIFIED, CHANGES, MISSING, INVALIDATED }

    /** The primary's answer to a read: nothing new, or the changes since the known version. */
    record ReadReply(ReadStatus status, RecordChanges changes) implements GridMessage {
    }

    /**
     * A primary replicates a change to a backup: changes from {@code changes.baseVersion()} (a whole
     * record when that is 0).
     */
    record ReplicateRequest(long topologyId, RecordChanges changes) implements GridMessage {
    }

    /** A backup applied the change, or needs the whole record because its copy is not at the base version. */
    record ReplicateReply(boolean applied) implements GridMessage {
    }

    /** One access time of a session, for {@link TouchBatch}. */
    record Touch(SessionKey key, long accessTime) {
    }

    /**
     * Access times of sessions used without change, batched by the member that served them and sent to
     * the primary; the primary forwards them to the backups ({@code forwarded}). Merged by maximum,
     * so order and duplicates do not matter.
     */
    record TouchBatch(List<Touch> touches, boolean forwarded) implements GridMessage {
        public TouchBatch {
            touches = List.copyOf(touches);
        }
    }

    /** A new owner pulls one segment's records in key order, after {@code after} (null: from the start). */
    record StateRequest(long topologyId, int segment, SessionKey after, int maxRecords) implements GridMessage {
    }

    /** A chunk of a segment; {@code last} when no record follows. */
    record StateChunk(List<SessionRecord> records, boolean last) implements GridMessage {
        public StateChunk {
            records = List.copyOf(records);
        }
    }

    /**
     * What identifies one kept copy's content for {@link StateDigest}: its version and the id of the commit that
     * made it (every commit makes a new version; the commit id tells apart two versions of the same number that
     * no acknowledged write could both have made), and its access time, which changes without a version.
     */
    record CopyStamp(SessionKey key, long version, long lastOpId, long accessTime) {
        public CopyStamp {
            Objects.requireNonNull(key, "key");
        }

        /** The stamp of a record. */
        public static CopyStamp of(SessionRecord r) {
            return new CopyStamp(r.key(), r.version(), r.meta().lastOpId(), r.meta().lastAccessedTime());
        }

        /** True if {@code r} is the copy this stamp names, access time aside. */
        public boolean sameContentAs(SessionRecord r) {
            return r.version() == version && r.meta().lastOpId() == lastOpId;
        }
    }

    /**
     * A member back from an absence pulls a segment as with {@link StateRequest}, naming the copies it kept from
     * before: {@code kept} are their stamps in ascending key order, every kept copy above {@code after} up to and
     * including {@code keptThrough} (null: every kept copy above {@code after}). Answered with {@link StateDiff}:
     * only what differs travels. A member of a version without this type answers {@link Failure} (unknown type).
     */
    record StateDigest(long topologyId, int segment, SessionKey after, int maxRecords, List<CopyStamp> kept,
                       SessionKey keptThrough) implements GridMessage {
        public StateDigest {
            kept = List.copyOf(kept);
            for (int i = 0; i < kept.size(); i++) {
                SessionKey k = kept.get(i).key();
                SessionKey previous = i == 0 ? after : kept.get(i - 1).key();
                if (previous != null && k.compareTo(previous) <= 0) {
                    throw new IllegalArgumentException("digest keys must ascend above 'after': " + k + " follows " + previous);
                }
                if (keptThrough != null && k.compareTo(keptThrough) > 0) {
                    throw new IllegalArgumentException("digest key " + k + " lies beyond keptThrough " + keptThrough);
                }
            }
        }
    }

    /**
     * The answer to a {@link StateDigest}, covering the segment's keys above the request's {@code after} up to and
     * including {@code through} ({@code last}: to the end of the segment; {@code through} is then null). In that
     * range: {@code records} are the source's records that the digest did not name with the same content (whole);
     * {@code gone} are named copies the source no longer holds; {@code touches} are later access times of named
     * copies it holds with the same content. Every other named copy in the range is current as it was kept.
     */
    record StateDiff(List<SessionRecord> records, List<SessionKey> gone, List<Touch> touches, SessionKey through,
                     boolean last) implements GridMessage {
        public StateDiff {
            records = List.copyOf(records);
            gone = List.copyOf(gone);
            touches = List.copyOf(touches);
            if (last != (through == null)) {
                throw new IllegalArgumentException("a diff names where it ends exactly when it is not the last");
            }
        }
    }

    // ---- listing and change notices ----

    /**
     * Asks a member for the live sessions of the segments it is primary of, in namespaces equal to
     * (or, unless {@code exact}, starting with) {@code namespace}; answered with {@link SessionList}.
     */
    record ListSessions(String namespace, boolean exact) implements GridMessage {
    }

    /** Session records without attribute values (metadata only). */
    record SessionList(List<SessionRecord> records) implements GridMessage {
        public SessionList {
            records = List.copyOf(records);
        }
    }

    /**
     * A primary tells a member that read a session that it changed: its copy (at a lower version) is
     * stale. Fire and forget; the member's own version check at its next request is the safety net.
     */
    record Changed(SessionKey key, long version) implements GridMessage {
    }

    // ---- merge after a partition ----

    /**
     * The coordinator of a merged view asks a member to push every record it holds to the record's
     * primary under {@code target} (one owner per segment), where the copies of the partitions meet.
     */
    record MergePush(long mergeId, Topology target) implements GridMessage {
    }

    /** Records pushed to their merge primary, which keeps the better copy of each. */
    record MergeRecords(long mergeId, List<SessionRecord> records) implements GridMessage {
        public MergeRecords {
            records = List.copyOf(records);
        }
    }

    /** How many sessions had differing copies (counted once per session at its merge primary). */
    record MergeResult(long conflicts) implements GridMessage {
    }

    // ---- the restore of segments lost with a member ----

    /**
     * A member back from an absence pushes kept copies of segments lost with it (see {@link RejoinReply}) to their
     * primary under topology {@code topologyId}, which adds each only where it knows nothing of its key (no session,
     * no tombstone) and replicates what it added to the segment's other write owners. Answered
     * {@link RestoreResult}, or {@link Retry} under another topology.
     */
    record RestoreRecords(long topologyId, List<SessionRecord> records) implements GridMessage {
        public RestoreRecords {
            records = List.copyOf(records);
        }
    }

    /**
     * A primary's answer to {@link RestoreRecords}: {@code added} records were unknown here and are stored and
     * replicated now (a record this very push added before, retried, counts again); the others were known.
     */
    record RestoreResult(int added) implements GridMessage {
    }

    /**
     * A member back from an absence returns to a segment's primary under topology {@code topologyId} the kept copies
     * its catch-up found newer, by the merge rule, than what the source sent: writes it acknowledged while it was
     * apart (a side of a split that served) that the others never saw. The primary keeps each by that rule against
     * its own record (an end first, then the higher version) and replicates what it keeps, as a write of the
     * topology; a copy whose key it does not know, or that does not win, changes nothing. Answered
     * {@link RestoreResult} with the copies kept, or {@link Retry} under another topology.
     */
    record ReturnCopies(long topologyId, List<SessionRecord> records) implements GridMessage {
        public ReturnCopies {
            records = List.copyOf(records);
        }
    }

    // ---- generic replies ----

    /** The receiver's topology differs from the sender's: retry once a topology of at least this id is installed. */
    record Retry(long topologyId) implements GridMessage {
        /**
         * The id a receiver answers when the sender is not in its view. Below every real topology id, so
         * a sender that does not look at it simply retries.
         */
        public static final long NOT_IN_VIEW = -1;

        /** The refusal of a request from a member that is not in the receiver's view. */
        public static Retry notInView() {
            return new Retry(NOT_IN_VIEW);
        }

        /** True if the receiver refused because the sender is not in its view. */
        public boolean isNotInView() {
            return topologyId == NOT_IN_VIEW;
        }
    }

    /** Done, nothing to report. */
    record Ack() implements GridMessage {
    }

    /** The request failed at the receiver for a reason the sender cannot fix by retrying. */
    record Failure(String message) implements GridMessage {
        /** Long enough for any explanation, short enough for the wire's string limit. */
        private static final int MAX_LENGTH = 8_192;

        public Failure {
            message = message == null ? "(no message)"
                    : message.length() > MAX_LENGTH ? message.substring(0, MAX_LENGTH) + "..." : message;
        }
    }
}
