package org.sessiongrid.replication;

import java.util.List;

import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;

/**
 * The source side of a segment transfer, the counterpart of {@link SegmentPuller}: serves a segment's records
 * chunk by chunk to a new owner, or, to a member back from an absence, only what differs from the copies it
 * kept ({@link SegmentDiff}).
 *
 * <p>Threading: called on the transport's executor for each request; holds no state of its own. A chunk is a
 * snapshot of the record store's range, which writes keep changing meanwhile: the puller stores a record only
 * if it is newer than its own, and the writes reach it as a write owner.
 */
final class SegmentSource {

    private final Fence fence;
    private final RecordStore records;

    SegmentSource(Fence fence, RecordStore records) {
        this.fence = fence;
        this.records = records;
    }

    /** Serves a chunk of a segment to a new owner. */
    GridMessage chunk(StateRequest req, int maxChunk) {
        GridMessage refused = refusal(req.topologyId(), req.segment());
        if (refused != null) {
            return refused;
        }
        int max = Math.max(1, Math.min(req.maxRecords(), maxChunk));
        List<SessionRecord> chunk = records.chunk(req.segment(), req.after(), max);
        return new StateChunk(chunk, chunk.size() < max);
    }

    /** Serves a segment to a member back from an absence: only what differs from the copies it kept. */
    GridMessage diff(StateDigest req, int maxChunk) {
        GridMessage refused = refusal(req.topologyId(), req.segment());
        if (refused != null) {
            return refused;
        }
        int max = Math.max(1, Math.min(req.maxRecords(), maxChunk));
        return SegmentDiff.answer(records.range(req.segment(), req.after(), req.keptThrough()), req.kept(),
                req.keptThrough(), max);
    }

    /** Null if a request for {@code segment} under {@code topologyId} is served, otherwise the answer. */
    private GridMessage refusal(long topologyId, int segment) {
        GridMessage refused = fence.check(topologyId);
        if (refused != null) {
            return refused;
        }
        if (segment < 0 || segment >= records.numSegments()) {
            return new Failure("segment " + segment + " out of range");
        }
        return null;
    }
}
