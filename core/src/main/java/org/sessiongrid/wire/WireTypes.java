package org.sessiongrid.wire;

import static org.sessiongrid.wire.WireValues.MAX_BATCH;
import static org.sessiongrid.wire.WireValues.MAX_LISTED_SESSIONS;
import static org.sessiongrid.wire.WireValues.MAX_SEGMENTS;
import static org.sessiongrid.wire.WireValues.readChanges;
import static org.sessiongrid.wire.WireValues.readDelta;
import static org.sessiongrid.wire.WireValues.readKey;
import static org.sessiongrid.wire.WireValues.readNullableTopology;
import static org.sessiongrid.wire.WireValues.readTopology;
import static org.sessiongrid.wire.WireValues.readWholeRecords;
import static org.sessiongrid.wire.WireValues.writeChanges;
import static org.sessiongrid.wire.WireValues.writeDelta;
import static org.sessiongrid.wire.WireValues.writeKey;
import static org.sessiongrid.wire.WireValues.writeNullableTopology;
import static org.sessiongrid.wire.WireValues.writeTopology;
import static org.sessiongrid.wire.WireValues.writeWholeRecords;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.Changed;
import org.sessiongrid.wire.GridMessage.CopyStamp;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.JoinReply;
import org.sessiongrid.wire.GridMessage.JoinRequest;
import org.sessiongrid.wire.GridMessage.KeptQuery;
import org.sessiongrid.wire.GridMessage.KeptSegments;
import org.sessiongrid.wire.GridMessage.RejoinReply;
import org.sessiongrid.wire.GridMessage.RejoinRequest;
import org.sessiongrid.wire.GridMessage.RestoreRecords;
import org.sessiongrid.wire.GridMessage.RestoreResult;
import org.sessiongrid.wire.GridMessage.ReturnCopies;
import org.sessiongrid.wire.GridMessage.LeaveRequest;
import org.sessiongrid.wire.GridMessage.ListSessions;
import org.sessiongrid.wire.GridMessage.MergePush;
import org.sessiongrid.wire.GridMessage.MergeRecords;
import org.sessiongrid.wire.GridMessage.MergeResult;
import org.sessiongrid.wire.GridMessage.ReadReply;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.ReadStatus;
import org.sessiongrid.wire.GridMessage.RebalanceConfirm;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.SegmentCounts;
import org.sessiongrid.wire.GridMessage.SessionList;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateDiff;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.Suspect;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;
import org.sessiongrid.wire.GridMessage.Touch;
import org.sessiongrid.wire.GridMessage.TouchBatch;

/**
 * Every type that goes on the wire, with its code: one row per message type (code, class, how its
 * fields are written and read, in the same order) and one code table per enum a message carries.
 * The codes are the wire format: a code once given is never reused for something else, and a new
 * type takes a code no row has. {@code WireCodesTest} pins every code, so that a reorder or an edit
 * here cannot change the format silently.
 *
 * <p>Immutable; built when the class loads, which fails if two rows share a code or a class.
 */
final class WireTypes {

    /** Writes a message's fields (after the header). */
    @FunctionalInterface
    interface FieldWriter<M extends GridMessage> {
        void write(WireWriter w, M message);
    }

    /** Reads a message's fields (after the header); the codec checks that nothing follows. */
    @FunctionalInterface
    interface FieldReader<M extends GridMessage> {
        M read(WireReader r) throws MalformedMessageException;
    }

    /** One message type: its code, its class and its field layout. */
    record Row<M extends GridMessage>(int code, Class<M> type, FieldWriter<M> writer, FieldReader<M> reader) {

        void write(WireWriter w, GridMessage m) {
            writer.write(w, type.cast(m));
        }
    }

    static final EnumCodes<CommitKind> COMMIT_KINDS = EnumCodes.of(CommitKind.class, "commit kind",
            CommitKind.CREATE, 0,
            CommitKind.UPDATE, 1,
            CommitKind.INVALIDATE, 2,
            CommitKind.EXPIRE, 3,
            CommitKind.LOCK, 4,
            CommitKind.UNLOCK, 5,
            CommitKind.ANNOUNCE, 6,
            CommitKind.CLAIM, 7);

    static final EnumCodes<CommitStatus> COMMIT_STATUSES = EnumCodes.of(CommitStatus.class, "commit status",
            CommitStatus.OK, 0,
            CommitStatus.MISSING, 1,
            CommitStatus.INVALIDATED, 2,
            CommitStatus.EXISTS, 3,
            CommitStatus.LOCKED, 4,
            CommitStatus.LOCK_LOST, 5,
            CommitStatus.NOT_EXPIRED, 6,
            CommitStatus.FENCED, 7);

    static final EnumCodes<ReadStatus> READ_STATUSES = EnumCodes.of(ReadStatus.class, "read status",
            ReadStatus.NOT_MODIFIED, 0,
            ReadStatus.CHANGES, 1,
            ReadStatus.MISSING, 2,
            ReadStatus.INVALIDATED, 3);

    static final EnumCodes<Phase> PHASES = EnumCodes.of(Phase.class, "phase",
            Phase.NONE, 0,
            Phase.READ_OLD_WRITE_ALL, 1,
            Phase.READ_NEW_WRITE_ALL, 2);

    private static final List<Row<?>> ROWS = List.of(
            // ---- membership and topology ----
            row(1, JoinRequest.class, (w, x) -> {
                w.varint(x.numSegments());
                w.varint(x.numOwners());
            }, r -> new JoinRequest(r.varint("numSegments"), r.varint("numOwners"))),
            row(2, JoinReply.class, (w, x) -> {
                w.bool(x.accepted());
                w.nullableString(x.reason());
                writeNullableTopology(w, x.topology());
            }, r -> new JoinReply(r.bool("accepted"), r.nullableString("reason"), readNullableTopology(r))),
            row(3, LeaveRequest.class, (w, x) -> { }, r -> new LeaveRequest()),
            row(4, TopologyUpdate.class, (w, x) -> writeTopology(w, x.topology()),
                    r -> new TopologyUpdate(readTopology(r))),
            row(5, TopologyQuery.class, (w, x) -> { }, r -> new TopologyQuery()),
            row(6, TopologyStatus.class, (w, x) -> {
                writeNullableTopology(w, x.topology());
                w.bool(x.joined());
                w.varint(x.numSegments());
                w.varint(x.numOwners());
                w.bool(x.seesSender());
            }, r -> new TopologyStatus(readNullableTopology(r), r.bool("joined"), r.varint("numSegments"),
                    r.varint("numOwners"), r.bool("seesSender"))),
            row(7, RebalanceConfirm.class, (w, x) -> w.i64(x.topologyId()),
                    r -> new RebalanceConfirm(r.i64("topologyId"))),
            row(8, SegmentCounts.class, (w, x) -> {
                int[] segs = x.segments();
                int[] counts = x.sessions();
                w.varint(segs.length);
                for (int i = 0; i < segs.length; i++) {
                    w.varint(segs[i]);
                    w.varint(counts[i]);
                }
            }, r -> {
                int n = r.count("segment counts", 2, MAX_SEGMENTS);
                int[] segs = new int[n];
                int[] counts = new int[n];
                for (int i = 0; i < n; i++) {
                    segs[i] = r.varint("segment");
                    counts[i] = r.varint("sessions");
                }
                return new SegmentCounts(segs, counts);
            }),
            row(9, Suspect.class, (w, x) -> {
                w.string(x.memberId());
                w.string(x.reason());
            }, r -> new Suspect(r.string("memberId"), r.string("reason"))),
            row(27, RejoinRequest.class, (w, x) -> {
                w.varint(x.numSegments());
                w.varint(x.numOwners());
                w.bytes(x.keptSegments().toByteArray());
            }, r -> new RejoinRequest(r.varint("numSegments"), r.varint("numOwners"), readSegmentSet(r, "kept segments"))),
            row(28, KeptQuery.class, (w, x) -> { }, r -> new KeptQuery()),
            row(29, KeptSegments.class, (w, x) -> w.bytes(x.segments().toByteArray()),
                    r -> new KeptSegments(readSegmentSet(r, "kept segments"))),
            row(33, RejoinReply.class, (w, x) -> {
                w.bool(x.accepted());
                w.nullableString(x.reason());
                writeNullableTopology(w, x.topology());
                w.bytes(x.lostSegments().toByteArray());
                w.i64(x.lostInTopology());
            }, r -> new RejoinReply(r.bool("accepted"), r.nullableString("reason"), readNullableTopology(r),
                    readSegmentSet(r, "lost segments"), r.i64("lostInTopology"))),
            // ---- session data ----
            row(10, CommitRequest.class, (w, x) -> {
                w.i64(x.topologyId());
                writeKey(w, x.key());
                COMMIT_KINDS.write(w, x.kind());
                w.i64(x.baseVersion());
                writeDelta(w, x.delta());
                w.varint(x.tombstoneSeconds());
                w.i64(x.opId());
                w.nullableString(x.lockToken());
                w.i64(x.lockWaitMillis());
            }, r -> new CommitRequest(r.i64("topologyId"), readKey(r), COMMIT_KINDS.read(r), r.i64("baseVersion"),
                    readDelta(r), r.varint("tombstoneSeconds"), r.i64("opId"), r.nullableString("lockToken"),
                    r.i64("lockWaitMillis"))),
            row(11, CommitReply.class, (w, x) -> {
                COMMIT_STATUSES.write(w, x.status());
                w.i64(x.version());
                writeOptionalChanges(w, x.changes());
            }, r -> new CommitReply(COMMIT_STATUSES.read(r), r.i64("version"), readOptionalChanges(r))),
            row(12, ReadRequest.class, (w, x) -> {
                w.i64(x.topologyId());
                writeKey(w, x.key());
                w.i64(x.knownVersion());
            }, r -> new ReadRequest(r.i64("topologyId"), readKey(r), r.i64("knownVersion"))),
            row(13, ReadReply.class, (w, x) -> {
                READ_STATUSES.write(w, x.status());
                writeOptionalChanges(w, x.changes());
            }, r -> new ReadReply(READ_STATUSES.read(r), readOptionalChanges(r))),
            row(14, ReplicateRequest.class, (w, x) -> {
                w.i64(x.topologyId());
                writeChanges(w, x.changes());
            }, r -> new ReplicateRequest(r.i64("topologyId"), readChanges(r))),
            row(15, ReplicateReply.class, (w, x) -> w.bool(x.applied()), r -> new ReplicateReply(r.bool("applied"))),
            row(16, StateRequest.class, (w, x) -> {
                w.i64(x.topologyId());
                w.varint(x.segment());
                w.bool(x.after() != null);
                if (x.after() != null) {
                    writeKey(w, x.after());
                }
                w.varint(x.maxRecords());
            }, r -> new StateRequest(r.i64("topologyId"), r.varint("segment"),
                    r.bool("after present") ? readKey(r) : null, r.varint("maxRecords"))),
            row(17, StateChunk.class, (w, x) -> {
                writeWholeRecords(w, x.records());
                w.bool(x.last());
            }, r -> new StateChunk(readWholeRecords(r), r.bool("last"))),
            row(25, StateDigest.class, (w, x) -> {
                w.i64(x.topologyId());
                w.varint(x.segment());
                writeNullableKey(w, x.after());
                w.varint(x.maxRecords());
                w.varint(x.kept().size());
                for (CopyStamp c : x.kept()) {
                    writeKey(w, c.key());
                    w.i64(c.version());
                    w.i64(c.lastOpId());
                    w.i64(c.accessTime());
                }
                writeNullableKey(w, x.keptThrough());
            }, r -> {
                long topologyId = r.i64("topologyId");
                int segment = r.varint("segment");
                SessionKey after = readNullableKey(r);
                int maxRecords = r.varint("maxRecords");
                int n = r.count("copy stamps", 27, MAX_BATCH);
                List<CopyStamp> kept = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    kept.add(new CopyStamp(readKey(r), r.i64("version"), r.i64("lastOpId"), r.i64("accessTime")));
                }
                return new StateDigest(topologyId, segment, after, maxRecords, kept, readNullableKey(r));
            }),
            row(26, StateDiff.class, (w, x) -> {
                writeWholeRecords(w, x.records());
                w.varint(x.gone().size());
                for (SessionKey k : x.gone()) {
                    writeKey(w, k);
                }
                writeTouches(w, x.touches());
                writeNullableKey(w, x.through());
            }, r -> {
                List<SessionRecord> records = readWholeRecords(r);
                int n = r.count("gone keys", 3, MAX_BATCH);
                List<SessionKey> gone = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    gone.add(readKey(r));
                }
                List<Touch> touches = readTouches(r);
                SessionKey through = readNullableKey(r);
                return new StateDiff(records, gone, touches, through, through == null);
            }),
            row(18, TouchBatch.class, (w, x) -> {
                writeTouches(w, x.touches());
                w.bool(x.forwarded());
            }, r -> new TouchBatch(readTouches(r), r.bool("forwarded"))),
            // ---- merge after a partition ----
            row(19, MergePush.class, (w, x) -> {
                w.i64(x.mergeId());
                writeTopology(w, x.target());
            }, r -> new MergePush(r.i64("mergeId"), readTopology(r))),
            row(20, MergeRecords.class, (w, x) -> {
                w.i64(x.mergeId());
                writeWholeRecords(w, x.records());
            }, r -> new MergeRecords(r.i64("mergeId"), readWholeRecords(r))),
            row(21, MergeResult.class, (w, x) -> w.i64(x.conflicts()), r -> new MergeResult(r.i64("conflicts"))),
            // ---- the restore of segments lost with a member ----
            row(34, RestoreRecords.class, (w, x) -> {
                w.i64(x.topologyId());
                writeWholeRecords(w, x.records());
            }, r -> new RestoreRecords(r.i64("topologyId"), readWholeRecords(r))),
            row(35, RestoreResult.class, (w, x) -> w.varint(x.added()), r -> new RestoreResult(r.varint("added"))),
            row(36, ReturnCopies.class, (w, x) -> {
                w.i64(x.topologyId());
                writeWholeRecords(w, x.records());
            }, r -> new ReturnCopies(r.i64("topologyId"), readWholeRecords(r))),
            // ---- listing and change notices ----
            row(22, ListSessions.class, (w, x) -> {
                w.string(x.namespace());
                w.bool(x.exact());
            }, r -> new ListSessions(r.string("namespace"), r.bool("exact"))),
            row(23, SessionList.class, (w, x) -> writeWholeRecords(w, x.records()),
                    r -> new SessionList(readWholeRecords(r, MAX_LISTED_SESSIONS))),
            row(24, Changed.class, (w, x) -> {
                writeKey(w, x.key());
                w.i64(x.version());
            }, r -> new Changed(readKey(r), r.i64("version"))),
            // ---- generic replies ----
            row(30, Retry.class, (w, x) -> w.i64(x.topologyId()), r -> new Retry(r.i64("topologyId"))),
            row(31, Ack.class, (w, x) -> { }, r -> new Ack()),
            row(32, Failure.class, (w, x) -> w.string(x.message()), r -> new Failure(r.string("failure message"))));

    private static final Row<?>[] BY_CODE = new Row<?>[256];
    /** The simple names of the classes, by code: what counters show a type as. */
    private static final String[] NAMES = new String[256];
    private static final ClassValue<Row<?>> BY_CLASS = new ClassValue<>() {
        @Override
        protected Row<?> computeValue(Class<?> type) {
            for (Row<?> row : ROWS) {
                if (row.type() == type) {
                    return row;
                }
            }
            return null;
        }
    };

    static {
        java.util.Set<Class<?>> classes = new java.util.HashSet<>();
        for (Row<?> row : ROWS) {
            if (row.code() < 0 || row.code() > 255 || BY_CODE[row.code()] != null) {
                throw new IllegalStateException("wire code " + row.code() + " of " + row.type() + " out of range or taken");
            }
            if (!classes.add(row.type())) {
                throw new IllegalStateException(row.type() + " has two wire codes");
            }
            BY_CODE[row.code()] = row;
            NAMES[row.code()] = row.type().getSimpleName();
        }
    }

    private WireTypes() {
    }

    private static <M extends GridMessage> Row<M> row(int code, Class<M> type, FieldWriter<M> writer,
                                                      FieldReader<M> reader) {
        return new Row<>(code, type, writer, reader);
    }

    /** The row of a message's class, or null if it has none. */
    static Row<?> of(GridMessage m) {
        return BY_CLASS.get(m.getClass());
    }

    /** The row of a wire code, or null if no type has it. */
    static Row<?> of(int code) {
        return code < 0 || code >= BY_CODE.length ? null : BY_CODE[code];
    }

    /** The simple name of the class a wire code stands for, or null if no type has it. */
    static String nameOf(int code) {
        Row<?> row = of(code);
        return row == null ? null : NAMES[code];
    }

    /** Every message class with its code, in the table's order: what the pinning test compares. */
    static Map<Class<? extends GridMessage>, Integer> messageCodes() {
        Map<Class<? extends GridMessage>, Integer> out = new LinkedHashMap<>();
        ROWS.forEach(row -> out.put(row.type(), row.code()));
        return out;
    }

    private static void writeTouches(WireWriter w, List<Touch> touches) {
        w.varint(touches.size());
        for (Touch t : touches) {
            writeKey(w, t.key());
            w.i64(t.accessTime());
        }
    }

    private static List<Touch> readTouches(WireReader r) throws MalformedMessageException {
        int n = r.count("touches", 10, MAX_BATCH);
        List<Touch> touches = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            touches.add(new Touch(readKey(r), r.i64("accessTime")));
        }
        return touches;
    }

    private static void writeNullableKey(WireWriter w, SessionKey k) {
        w.bool(k != null);
        if (k != null) {
            writeKey(w, k);
        }
    }

    private static SessionKey readNullableKey(WireReader r) throws MalformedMessageException {
        return r.bool("key present") ? readKey(r) : null;
    }

    /** A set of segments as {@link BitSet#toByteArray()}: one bit per segment, at most {@code MAX_SEGMENTS} of them. */
    private static BitSet readSegmentSet(WireReader r, String what) throws MalformedMessageException {
        byte[] bits = r.bytes(what);
        if (bits.length > MAX_SEGMENTS / Byte.SIZE) {
            throw new MalformedMessageException(MalformedMessageException.Reason.OVERSIZED, what + ": " + bits.length
                    + " bytes name segments beyond " + MAX_SEGMENTS);
        }
        return BitSet.valueOf(bits);
    }

    private static void writeOptionalChanges(WireWriter w, RecordChanges c) {
        w.bool(c != null);
        if (c != null) {
            writeChanges(w, c);
        }
    }

    private static RecordChanges readOptionalChanges(WireReader r) throws MalformedMessageException {
        return r.bool("changes present") ? readChanges(r) : null;
    }
}
