package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.List;

import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.CopyStamp;
import org.sessiongrid.wire.GridMessage.StateDiff;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.Touch;

/**
 * The source's side of a catch-up: what a member back from an absence lacks of one segment, given the stamps of
 * the copies it kept ({@link StateDigest}). A walk of both key orders at once: a record the digest names with the
 * same content stays home (a later access time travels as a {@link Touch}); any other record travels whole; a
 * named copy the source does not hold is {@code gone}. The answer stops after {@code maxRecords} records, and says
 * how far it settled the digest, so that each round trip is bounded by the digest's size plus {@code maxRecords}.
 *
 * <p>Pure: a function of its arguments.
 */
final class SegmentDiff {

    private SegmentDiff() {
    }

    /**
     * @param held        the source's records of the segment above the digest's {@code after}, up to and including
     *                    {@code keptThrough} (to the end when that is null), in key order
     * @param kept        the digest's stamps, in ascending key order, within the same range
     * @param keptThrough where the digest's range ends; null: the digest names every kept copy to the end
     * @param maxRecords  the most records the answer carries, at least 1
     */
    static StateDiff answer(List<SessionRecord> held, List<CopyStamp> kept, SessionKey keptThrough, int maxRecords) {
        List<SessionRecord> records = new ArrayList<>();
        List<SessionKey> gone = new ArrayList<>();
        List<Touch> touches = new ArrayList<>();
        int k = 0;
        for (SessionRecord r : held) {
            while (k < kept.size() && kept.get(k).key().compareTo(r.key()) < 0) {
                gone.add(kept.get(k++).key());
            }
            if (k < kept.size() && kept.get(k).key().equals(r.key())) {
                CopyStamp stamp = kept.get(k++);
                if (stamp.sameContentAs(r)) {
                    if (r.meta().lastAccessedTime() > stamp.accessTime()) {
                        touches.add(new Touch(r.key(), r.meta().lastAccessedTime()));
                    }
                    continue;
                }
            }
            records.add(r);
            if (records.size() >= maxRecords) {
                // Everything up to this key is settled: named copies below it were gone, the one at it was sent.
                return new StateDiff(records, gone, touches, r.key(), false);
            }
        }
        while (k < kept.size()) {
            gone.add(kept.get(k++).key());
        }
        return new StateDiff(records, gone, touches, keptThrough, keptThrough == null);
    }
}
