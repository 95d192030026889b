package org.sessiongrid.replication;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.suspicion.Suspector;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.RestoreRecords;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;

/**
 * The data path of one member, as the grid calls it: one object per role over the same record store and
 * installed topology, after JGroups' GMS, except that a member holds every role at once, each for its own
 * segments, so nothing switches between them:
 * <ul>
 * <li>{@link Fence}: a request is served only under the topology its sender planned it under;</li>
 * <li>{@link PrimaryRole}: commits, restores of kept copies, reads and access times at a segment's primary,
 * with {@link CommitDecision} deciding what a commit does to the record and {@link CopyHolders} telling the
 * members that hold a copy a commit made stale;</li>
 * <li>{@link BackupSender}: the primary's link to its backups: sending a change and waiting for every answer,
 * suspecting a silent backup, re-sending an honoured announcement;</li>
 * <li>{@link BackupRole}: a backup's apply of a primary's change (versions, an end that stands);</li>
 * <li>{@link SegmentSource}: the source side of a segment transfer, for {@link SegmentPuller}.</li>
 * </ul>
 * Each role states the rules it keeps; a role that can be driven alone has a test of its own ({@code FenceTest},
 * {@code BackupRoleTest}, {@code CopyHoldersTest}, {@code SegmentSourceTest}), and {@code ReplicatorTest} checks the
 * primary's rules through this class, over a {@link Messenger} the test controls.
 *
 * <p>Threading: this class only hands each call to its role, on the caller's thread; it holds no state beyond
 * the roles, which are built once and final. Each role documents who calls it and which lock guards what.
 */
public final class Replicator {

    private final RecordStore records;
    private final PrimaryRole primary;
    private final BackupRole backup;
    private final SegmentSource source;
    private final CopyHolders holders;

    private Replicator(Builder b) {
        Messenger messenger = Objects.requireNonNull(b.messenger, "messenger");
        InstalledTopology topology = Objects.requireNonNull(b.topology, "topology");
        this.records = Objects.requireNonNull(b.records, "records");
        Fence fence = new Fence(topology, b.catchUp, b.stats);
        BackupSender sender = new BackupSender(messenger, topology, records, b.stats, b.remoteTimeoutMillis,
                b.backupTimeoutMillis, b.suspector);
        this.holders = new CopyHolders(messenger, records, b.notifier);
        this.primary = new PrimaryRole(messenger, topology, records, fence, sender, holders, b.synchronous, b.stats,
                b.expirySlackMillis, b.tombstoneSeconds, b.refusesWrites);
        this.backup = new BackupRole(fence, topology, records);
        this.source = new SegmentSource(fence, records);
    }

    /**
     * Starts a replicator over {@code records}, talking to the other members through {@code messenger}
     * under the topology {@code topology} holds. Every setting not given keeps its default (see
     * {@link Builder}).
     */
    public static Builder builder(Messenger messenger, InstalledTopology topology, RecordStore records) {
        return new Builder(messenger, topology, records);
    }

    /**
     * The settings and hooks of a {@link Replicator}, by name; unset ones default to the grid's defaults.
     * Not thread-safe; build once.
     */
    public static final class Builder {
        private final Messenger messenger;
        private final InstalledTopology topology;
        private final RecordStore records;
        private boolean synchronous = true;
        private long remoteTimeoutMillis = 15_000;
        private long backupTimeoutMillis = 1_000;
        private Suspector suspector = Suspector.NONE;
        private long expirySlackMillis = 1_000;
        private int tombstoneSeconds = 600;
        private GridStats stats = new GridStats();
        private BooleanSupplier refusesWrites = () -> false;
        private LongConsumer catchUp = id -> { };
        private ChangeNotifier notifier = (key, version, members) -> { };

        private Builder(Messenger messenger, InstalledTopology topology, RecordStore records) {
            this.messenger = messenger;
            this.topology = topology;
            this.records = records;
        }

        /** True (default): a commit is acknowledged once every backup applied it; false: sent after. */
        public Builder synchronous(boolean synchronous) {
            this.synchronous = synchronous;
            return this;
        }

        /** How long a backup may take to answer (default 15 s, as the setting {@code remoteTimeout}). */
        public Builder remoteTimeoutMillis(long millis) {
            this.remoteTimeoutMillis = millis;
            return this;
        }

        /**
         * How long a backup may stay silent before {@code suspector} is told (default: 1 s, as the setting
         * {@code backupTimeout}, and nobody told).
         */
        public Builder suspectAfter(long backupTimeoutMillis, Suspector suspector) {
            this.backupTimeoutMillis = backupTimeoutMillis;
            this.suspector = Objects.requireNonNull(suspector);
            return this;
        }

        /** How late access times may reach the primary; an expiry waits that much longer (default 1 s, as the setting {@code accessTimeGranularity}). */
        public Builder expirySlackMillis(long millis) {
            this.expirySlackMillis = millis;
            return this;
        }

        /** How long the end this primary adopts from a backup is kept (default 600 s, as the setting {@code tombstoneTimeout}). */
        public Builder tombstoneSeconds(int seconds) {
            this.tombstoneSeconds = seconds;
            return this;
        }

        public Builder stats(GridStats stats) {
            this.stats = Objects.requireNonNull(stats);
            return this;
        }

        /**
         * True while this member must acknowledge nothing but an announcement its backups took: stopped,
         * rejoining, or on the refusing side of a partition (default: never).
         */
        public Builder refusesWritesWhen(BooleanSupplier refusesWrites) {
            this.refusesWrites = Objects.requireNonNull(refusesWrites);
            return this;
        }

        /** Asked to fetch a topology a sender named that this member has not installed (default: nothing). */
        public Builder catchUp(LongConsumer catchUp) {
            this.catchUp = Objects.requireNonNull(catchUp);
            return this;
        }

        /** Told which members hold a copy a commit made stale (default: nobody). */
        public Builder onChange(ChangeNotifier notifier) {
            this.notifier = Objects.requireNonNull(notifier);
            return this;
        }

        public Replicator build() {
            return new Replicator(this);
        }
    }

    public RecordStore records() {
        return records;
    }

    /** Handles a commit made on this member (as primary). */
    public GridMessage commit(CommitRequest req) {
        return primary.commit(req, null);
    }

    /**
     * Handles a commit at this member, which the sender believes is the session's primary.
     *
     * @param senderId the member that sent it, or null when it was made here
     */
    public GridMessage commit(CommitRequest req, String senderId) {
        return primary.commit(req, senderId);
    }

    /**
     * Adds, at this primary, each of a returning member's kept copies of segments lost with it whose key is unknown
     * here (no session, no tombstone): whatever is here wins, being what the cluster acknowledged since the loss (a
     * session created again under the same id, its end). A copy is added as a write of this topology: replicated to
     * the segment's other write owners and stored once they all took it, under the key's lock, as a commit.
     *
     * @return {@link GridMessage.RestoreResult} with the copies added, or why the sender must ask again
     *         ({@link Retry}) or give up
     */
    public GridMessage restore(RestoreRecords req) {
        return primary.restore(req);
    }

    /**
     * Keeps, at this primary, each of a returning member's kept copies that its catch-up found newer than the source's
     * where the merge rule says it wins over the record here ({@link RecordStore#merged}: an end first, then the
     * higher version), as a write of this topology (replicated, then stored, under the key's lock). A copy whose key
     * is unknown here, or that does not win, changes nothing.
     *
     * @return {@link GridMessage.RestoreResult} with the copies kept, or why the sender must ask again
     *         ({@link Retry}) or give up
     */
    public GridMessage returnCopies(GridMessage.ReturnCopies req) {
        return primary.returnCopies(req);
    }

    /**
     * Applies a primary's change at this backup (or pending owner).
     *
     * @param mayWait false on a thread that must never block (the JGroups thread that delivered the
     *                change): then only a change made under this member's own topology is applied, the
     *                common case, which takes no lock that is held while waiting (see
     *                {@link InstalledTopology#tryEnterChange}); for any other topology id this returns null,
     *                having changed nothing, and the caller asks again with {@code mayWait} (the fence may
     *                wait for this member to catch up)
     * @return the reply for the primary, or null (only without {@code mayWait})
     */
    public GridMessage replicate(ReplicateRequest req, boolean mayWait) {
        return backup.replicate(req, mayWait);
    }

    /**
     * Answers a read at the primary: nothing new, the changes since the caller's version, or gone.
     *
     * @param senderId the member that asked (it then holds a copy), or null when asked here
     */
    public GridMessage read(ReadRequest req, String senderId) {
        return primary.read(req, senderId, true);
    }

    /**
     * @param mayWait false on the JGroups thread that delivered the request: a read under another topology than
     *        this member's (which may mean waiting for the newer one) is then left to the transport's executor
     *        (null); under this member's topology it needs no lock and no wait, like a backup's apply
     */
    public GridMessage read(ReadRequest req, String senderId, boolean mayWait) {
        return primary.read(req, senderId, mayWait);
    }

    /**
     * Applies batched access times of sessions this member holds (merged by maximum, version
     * unchanged: access times only steer expiry, which only the primary performs) and, when this
     * member is their primary, forwards them to the backups.
     */
    public void touch(GridMessage.TouchBatch batch) {
        primary.touch(batch);
    }

    /** Forgets copy holders of sessions whose segment this member is no longer primary of. */
    public void forgetHoldersElsewhere(Topology t) {
        holders.forgetElsewhere(t);
    }

    /** Serves a chunk of a segment to a new owner. */
    public GridMessage stateChunk(StateRequest req, int maxChunk) {
        return source.chunk(req, maxChunk);
    }

    /** Serves a segment to a member back from an absence: only what differs from the copies it kept. */
    public GridMessage stateDiff(StateDigest req, int maxChunk) {
        return source.diff(req, maxChunk);
    }
}
