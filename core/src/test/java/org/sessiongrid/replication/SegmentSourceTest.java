package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateRequest;

/** The rules of {@link SegmentSource}, driven alone over a record store and an installed topology. */
class SegmentSourceTest {

    private static final long T = 5;
    private static final int SEGMENTS = 4;

    private final InstalledTopology installed = new InstalledTopology();
    private final RecordStore records = new RecordStore(SEGMENTS);
    private final SegmentSource source = new SegmentSource(new Fence(installed, id -> { }, new GridStats()), records);
    /** The keys of segment 0 stored here, in key order. */
    private final List<SessionKey> keys;

    SegmentSourceTest() {
        installed.install(new Topology(T, Phase.NONE, 1, Placement.create(List.of(new Member("a", "a")), SEGMENTS, 1),
                null));
        for (int i = 0; i < 40; i++) {
            records.put(SessionRecord.create(new SessionKey("ns", "s" + i), T << 32, SessionDelta.builder().build()));
        }
        keys = records.chunk(0, null, Integer.MAX_VALUE).stream().map(SessionRecord::key).toList();
    }

    private StateChunk chunk(SessionKey after, int maxRecords, int maxChunk) {
        GridMessage m = source.chunk(new StateRequest(T, 0, after, maxRecords), maxChunk);
        return assertInstanceOf(StateChunk.class, m);
    }

    @Test
    void aChunkHoldsTheRecordsAfterTheLastKeyUpToTheSmallerOfBothLimits() {
        assertEquals(true, keys.size() > 4, "segment 0 holds more than a chunk: " + keys.size());
        StateChunk first = chunk(null, 3, 100);
        assertEquals(keys.subList(0, 3), first.records().stream().map(SessionRecord::key).toList());
        assertEquals(false, first.last());
        StateChunk second = chunk(keys.get(2), 100, 2);
        assertEquals(keys.subList(3, 5), second.records().stream().map(SessionRecord::key).toList(),
                "the source's own limit bounds a request asking for more");
        assertEquals(false, second.last());
        StateChunk atLeastOne = chunk(null, 0, 0);
        assertEquals(1, atLeastOne.records().size(), "a chunk carries at least one record, so a pull advances");
    }

    @Test
    void theLastChunkSaysSo() {
        StateChunk rest = chunk(keys.get(keys.size() - 3), 100, 100);
        assertEquals(keys.subList(keys.size() - 2, keys.size()), rest.records().stream().map(SessionRecord::key).toList());
        assertEquals(true, rest.last());
    }

    @Test
    void aRequestUnderAnotherTopologyOrForNoSuchSegmentIsRefused() {
        assertEquals(new Retry(T), source.chunk(new StateRequest(T - 1, 0, null, 10), 10));
        assertInstanceOf(Failure.class, source.chunk(new StateRequest(T, SEGMENTS, null, 10), 10));
        assertInstanceOf(Failure.class, source.chunk(new StateRequest(T, -1, null, 10), 10));
    }
}
