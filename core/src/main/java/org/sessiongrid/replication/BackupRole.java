package org.sessiongrid.replication;

import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;

/**
 * A backup's (or pending owner's) side of replication: applies the changes a segment's primary sends.
 *
 * <ul>
 * <li><b>Versions.</b> A change applies only onto exactly its base version; otherwise the backup answers not
 * applied and the primary sends the whole record, which the backup takes as authoritative (a whole record
 * older than the copy here, a late duplicate, changes nothing).</li>
 * <li><b>An end stands.</b> A backup whose copy says the session ended ({@link SessionRecord#isEnded}:
 * invalidated, or its expiry announced) takes no other change of it, whatever its version: a primary whose copy
 * missed the end (a stale copy promoted after a failure) would otherwise announce the expiry again (listeners
 * twice) or bring the session back. The backup answers {@link CommitStatus#INVALIDATED}, and the primary adopts
 * the end ({@link PrimaryRole}).</li>
 * </ul>
 *
 * <p>Threading: called on the JGroups thread that delivered the change (which must never block) or on the
 * transport's executor. A change of one record is atomic through {@link RecordStore#compute}; it is applied
 * inside a change of the installed topology ({@link InstalledTopology#tryEnterChange}), so that no newer topology
 * is installed while it is stored. No state of its own.
 */
final class BackupRole {

    private final Fence fence;
    private final InstalledTopology topology;
    private final RecordStore records;

    BackupRole(Fence fence, InstalledTopology topology, RecordStore records) {
        this.fence = fence;
        this.topology = topology;
        this.records = records;
    }

    /** See {@link Replicator#replicate}. */
    GridMessage replicate(ReplicateRequest req, boolean mayWait) {
        if (!mayWait) {
            if (req.topologyId() != topology.id()) {
                return null;
            }
        } else {
            GridMessage refused = fence.check(req.topologyId());
            if (refused != null) {
                return refused;
            }
        }
        // Checks the id again, under the lock: an install may have come in between.
        if (!topology.tryEnterChange(req.topologyId())) {
            // A newer topology is being installed here right now: the primary retries under it.
            return new Retry(topology.id());
        }
        try {
            return apply(req.changes());
        } finally {
            topology.exitChange();
        }
    }

    private GridMessage apply(RecordChanges c) {
        boolean[] applied = {true};
        long[] ended = {0};
        records.compute(c.key(), (k, local) -> {
            if (local != null && local.isEnded() && local.version() != c.version()) {
                // See "An end stands" above. The same version is the same change again (a resend).
                ended[0] = local.version();
                return local;
            }
            if (c.baseVersion() == 0) {
                // A whole record from the primary of our topology is authoritative; an older one
                // (a late duplicate) changes nothing.
                return local == null || local.version() <= c.version() ? c.applyTo(null) : local;
            }
            if (local != null && local.version() == c.baseVersion()) {
                return c.applyTo(local);
            }
            applied[0] = false;
            return local;
        });
        if (ended[0] != 0) {
            return new CommitReply(CommitStatus.INVALIDATED, ended[0], null);
        }
        return new ReplicateReply(applied[0]);
    }
}
