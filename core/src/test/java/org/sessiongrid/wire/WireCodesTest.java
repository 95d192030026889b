package org.sessiongrid.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.ReadStatus;

/**
 * Pins every code of the wire format, written out here by hand: a message type or an enum constant
 * moved, renamed or inserted in the source keeps its code, and a change of a code fails this test
 * instead of changing the format silently. A deliberate change of the format edits this table, the
 * corpus of {@link WireCorpusTest} and {@link WireCodec#FORMAT_VERSION} together.
 */
class WireCodesTest {

    @Test
    void messageTypeCodes() {
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("JoinRequest", 1);
        expected.put("JoinReply", 2);
        expected.put("LeaveRequest", 3);
        expected.put("TopologyUpdate", 4);
        expected.put("TopologyQuery", 5);
        expected.put("TopologyStatus", 6);
        expected.put("RebalanceConfirm", 7);
        expected.put("SegmentCounts", 8);
        expected.put("Suspect", 9);
        expected.put("CommitRequest", 10);
        expected.put("CommitReply", 11);
        expected.put("ReadRequest", 12);
        expected.put("ReadReply", 13);
        expected.put("ReplicateRequest", 14);
        expected.put("ReplicateReply", 15);
        expected.put("StateRequest", 16);
        expected.put("StateChunk", 17);
        expected.put("TouchBatch", 18);
        expected.put("MergePush", 19);
        expected.put("MergeRecords", 20);
        expected.put("MergeResult", 21);
        expected.put("ListSessions", 22);
        expected.put("SessionList", 23);
        expected.put("Changed", 24);
        expected.put("StateDigest", 25);
        expected.put("StateDiff", 26);
        expected.put("RejoinRequest", 27);
        expected.put("KeptQuery", 28);
        expected.put("KeptSegments", 29);
        expected.put("Retry", 30);
        expected.put("Ack", 31);
        expected.put("Failure", 32);
        expected.put("RejoinReply", 33);
        expected.put("RestoreRecords", 34);
        expected.put("RestoreResult", 35);
        expected.put("ReturnCopies", 36);
        Map<String, Integer> actual = new LinkedHashMap<>();
        WireTypes.messageCodes().forEach((type, code) -> actual.put(type.getSimpleName(), code));
        assertEquals(expected, actual);
    }

    @Test
    void everyMessageTypeHasARow() {
        Set<Class<?>> permitted = Set.of(GridMessage.class.getPermittedSubclasses());
        assertEquals(permitted, Set.copyOf(WireTypes.messageCodes().keySet()));
    }

    @Test
    void encodedTypeByteIsTheRowsCode() {
        WireCodec codec = new WireCodec(WireSamples.LARGEST_VALUE);
        for (GridMessage m : WireSamples.all().values()) {
            assertEquals((int) WireTypes.messageCodes().get(m.getClass()), codec.encode(m)[3] & 0xff,
                    m.getClass().getSimpleName());
        }
    }

    /** What the transport's counters key on: the code read from an encoding (at any offset), and its type's name. */
    @Test
    void theTypeCodeOfAnEncodingNamesItsType() {
        WireCodec codec = new WireCodec(WireSamples.LARGEST_VALUE);
        for (GridMessage m : WireSamples.all().values()) {
            byte[] encoded = codec.encode(m);
            byte[] inBuffer = new byte[encoded.length + 7];
            System.arraycopy(encoded, 0, inBuffer, 5, encoded.length);
            int code = WireCodec.typeCode(inBuffer, 5);
            assertEquals((int) WireTypes.messageCodes().get(m.getClass()), code, m.getClass().getSimpleName());
            assertEquals(m.getClass().getSimpleName(), WireCodec.typeName(code));
        }
        assertEquals(null, WireCodec.typeName(0), "no type has code 0");
        assertEquals(null, WireCodec.typeName(255));
    }

    @Test
    void commitKindCodes() {
        assertEquals(codes(CommitKind.class, "CREATE", 0, "UPDATE", 1, "INVALIDATE", 2, "EXPIRE", 3, "LOCK", 4,
                "UNLOCK", 5, "ANNOUNCE", 6, "CLAIM", 7), WireTypes.COMMIT_KINDS.codes());
    }

    @Test
    void commitStatusCodes() {
        assertEquals(codes(CommitStatus.class, "OK", 0, "MISSING", 1, "INVALIDATED", 2, "EXISTS", 3, "LOCKED", 4,
                "LOCK_LOST", 5, "NOT_EXPIRED", 6, "FENCED", 7), WireTypes.COMMIT_STATUSES.codes());
    }

    @Test
    void readStatusCodes() {
        assertEquals(codes(ReadStatus.class, "NOT_MODIFIED", 0, "CHANGES", 1, "MISSING", 2, "INVALIDATED", 3),
                WireTypes.READ_STATUSES.codes());
    }

    @Test
    void phaseCodes() {
        assertEquals(codes(Phase.class, "NONE", 0, "READ_OLD_WRITE_ALL", 1, "READ_NEW_WRITE_ALL", 2),
                WireTypes.PHASES.codes());
    }

    @Test
    void anEnumTableMustCoverEveryConstantOnce() {
        assertThrows(IllegalStateException.class, () -> EnumCodes.of(Phase.class, "phase", Phase.NONE, 0,
                Phase.READ_OLD_WRITE_ALL, 1));
        assertThrows(IllegalStateException.class, () -> EnumCodes.of(Phase.class, "phase", Phase.NONE, 0,
                Phase.READ_OLD_WRITE_ALL, 1, Phase.READ_NEW_WRITE_ALL, 1));
        assertThrows(IllegalStateException.class, () -> EnumCodes.of(Phase.class, "phase", Phase.NONE, 0,
                Phase.NONE, 3, Phase.READ_OLD_WRITE_ALL, 1, Phase.READ_NEW_WRITE_ALL, 2));
    }

    /** Names are matched by name, so that the expected table is independent of the enum's order. */
    private static <E extends Enum<E>> Map<E, Integer> codes(Class<E> type, Object... namesAndCodes) {
        Map<E, Integer> out = new EnumMap<>(type);
        for (int i = 0; i < namesAndCodes.length; i += 2) {
            out.put(Enum.valueOf(type, (String) namesAndCodes[i]), (Integer) namesAndCodes[i + 1]);
        }
        assertEquals(type.getEnumConstants().length, out.size(), "constants of " + type.getSimpleName() + ": "
                + Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(Collectors.joining(", ")));
        return out;
    }
}
