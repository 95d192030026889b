package org.sessiongrid.wire;

import static org.sessiongrid.wire.MalformedMessageException.Reason.INVALID_VALUE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.TRUNCATED;
import static org.sessiongrid.wire.MalformedMessageException.Reason.UNKNOWN_TYPE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.WRONG_VERSION;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.JoinReply;
import org.sessiongrid.wire.GridMessage.JoinRequest;
import org.sessiongrid.wire.GridMessage.LeaveRequest;
import org.sessiongrid.wire.GridMessage.ReadReply;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.ReadStatus;
import org.sessiongrid.wire.GridMessage.RebalanceConfirm;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;
import org.sessiongrid.wire.GridMessage.TouchBatch;

/**
 * Encodes and decodes {@link GridMessage}s. Layout: magic {@code 0x5347} ("SG"), format version,
 * type, then the type's fields; no trailing bytes. A receiver that gets another format version
 * drops the message (a rolling upgrade across wire versions must go through a version that speaks
 * both, which is why the version is checked rather than guessed).
 *
 * <p>Thread-safe: holds only limits.
 */
public final class WireCodec {

    /** The format this code writes and the only one it reads. */
    public static final int FORMAT_VERSION = 1;

    private static final int MAGIC = 0x5347;
    // Bounds that keep decoding proportional to what is legitimate, so that a forged message cannot
    // make a member allocate or compute far more than its size suggests.
    private static final int MAX_MEMBERS = 65_536;
    /** GridConfig allows at most 65,536 segments. */
    private static final int MAX_SEGMENTS = 65_536;
    /** A transmitted table has at most numOwners (at most 8) owners per segment; twice that for slack. */
    private static final int MAX_OWNERS_PER_SEGMENT = 16;
    private static final int MAX_ATTRIBUTES = 1 << 16;
    /** State chunks, merges and touch batches are sent in pieces well below this. */
    private static final int MAX_BATCH = 1 << 16;
    /** A session listing answers for every session of a member's primary segments. */
    private static final int MAX_LISTED_SESSIONS = 1 << 22;

    /** Most touches a {@link TouchBatch} may carry; senders split larger batches. */
    public static final int MAX_TOUCHES = MAX_BATCH;

    private final int maxValueBytes;

    /**
     * @param maxValueBytes the largest attribute value or blob accepted (setting {@code maxRecordBytes});
     *                      anything larger is rejected as {@code OVERSIZED} before it is allocated
     */
    public WireCodec(int maxValueBytes) {
        if (maxValueBytes <= 0) {
            throw new IllegalArgumentException("maxValueBytes must be positive");
        }
        this.maxValueBytes = maxValueBytes;
    }

    private static int typeOf(GridMessage m) {
        if (m instanceof JoinRequest) {
            return 1;
        }
        if (m instanceof JoinReply) {
            return 2;
        }
        if (m instanceof LeaveRequest) {
            return 3;
        }
        if (m instanceof TopologyUpdate) {
            return 4;
        }
        if (m instanceof GridMessage.SegmentCounts) {
            return 8;
        }
        if (m instanceof TopologyQuery) {
            return 5;
        }
        if (m instanceof TopologyStatus) {
            return 6;
        }
        if (m instanceof RebalanceConfirm) {
            return 7;
        }
        if (m instanceof CommitRequest) {
            return 10;
        }
        if (m instanceof CommitReply) {
            return 11;
        }
        if (m instanceof ReadRequest) {
            return 12;
        }
        if (m instanceof ReadReply) {
            return 13;
        }
        if (m instanceof ReplicateRequest) {
            return 14;
        }
        if (m instanceof ReplicateReply) {
            return 15;
        }
        if (m instanceof StateRequest) {
            return 16;
        }
        if (m instanceof StateChunk) {
            return 17;
        }
        if (m instanceof TouchBatch) {
            return 18;
        }
        if (m instanceof GridMessage.MergePush) {
            return 19;
        }
        if (m instanceof GridMessage.ListSessions) {
            return 22;
        }
        if (m instanceof GridMessage.SessionList) {
            return 23;
        }
        if (m instanceof GridMessage.Changed) {
            return 24;
        }
        if (m instanceof GridMessage.MergeRecords) {
            return 20;
        }
        if (m instanceof GridMessage.MergeResult) {
            return 21;
        }
        if (m instanceof Retry) {
            return 30;
        }
        if (m instanceof Ack) {
            return 31;
        }
        if (m instanceof Failure) {
            return 32;
        }
        throw new IllegalArgumentException("no wire type for " + m.getClass());
    }

    /**
     * Encodes one message into an array of exactly its length, which the caller owns (nothing else
     * refers to it).
     *
     * @throws IllegalArgumentException if a string of the message is not valid Unicode or longer than
     *                                  the wire allows
     */
    public byte[] encode(GridMessage m) {
        int type = typeOf(m);
        // Measured by the same code that writes, so the array is filled exactly and never regrown or
        // trimmed: for a large record the extra pass costs far less than copying its bytes again.
        WireWriter measure = WireWriter.measuring();
        write(measure, type, m);
        WireWriter w = new WireWriter(measure.size());
        write(w, type, m);
        return w.toByteArray();
    }

    private static void write(WireWriter w, int type, GridMessage m) {
        w.u8(MAGIC >>> 8);
        w.u8(MAGIC & 0xff);
        w.u8(FORMAT_VERSION);
        w.u8(type);
        if (m instanceof JoinRequest x) {
            w.varint(x.numSegments());
            w.varint(x.numOwners());
        } else if (m instanceof JoinReply x) {
            w.bool(x.accepted());
            w.nullableString(x.reason());
            writeNullableTopology(w, x.topology());
        } else if (m instanceof LeaveRequest) {
            // no fields
        } else if (m instanceof TopologyUpdate x) {
            writeTopology(w, x.topology());
        } else if (m instanceof GridMessage.SegmentCounts x) {
            int[] segs = x.segments();
            int[] counts = x.sessions();
            w.varint(segs.length);
            for (int i = 0; i < segs.length; i++) {
                w.varint(segs[i]);
                w.varint(counts[i]);
            }
        } else if (m instanceof TopologyQuery) {
            // no fields
        } else if (m instanceof TopologyStatus x) {
            writeNullableTopology(w, x.topology());
            w.bool(x.joined());
            w.varint(x.numSegments());
            w.varint(x.numOwners());
            w.bool(x.seesSender());
        } else if (m instanceof RebalanceConfirm x) {
            w.i64(x.topologyId());
        } else if (m instanceof CommitRequest x) {
            w.i64(x.topologyId());
            writeKey(w, x.key());
            w.u8(x.kind().ordinal());
            w.i64(x.baseVersion());
            writeDelta(w, x.delta());
            w.varint(x.tombstoneSeconds());
            w.i64(x.opId());
            w.nullableString(x.lockToken());
            w.i64(x.lockWaitMillis());
        } else if (m instanceof CommitReply x) {
            w.u8(x.status().ordinal());
            w.i64(x.version());
            w.bool(x.changes() != null);
            if (x.changes() != null) {
                writeChanges(w, x.changes());
            }
        } else if (m instanceof ReadRequest x) {
            w.i64(x.topologyId());
            writeKey(w, x.key());
            w.i64(x.knownVersion());
        } else if (m instanceof ReadReply x) {
            w.u8(x.status().ordinal());
            w.bool(x.changes() != null);
            if (x.changes() != null) {
                writeChanges(w, x.changes());
            }
        } else if (m instanceof ReplicateRequest x) {
            w.i64(x.topologyId());
            writeChanges(w, x.changes());
        } else if (m instanceof ReplicateReply x) {
            w.bool(x.applied());
        } else if (m instanceof StateRequest x) {
            w.i64(x.topologyId());
            w.varint(x.segment());
            w.bool(x.after() != null);
            if (x.after() != null) {
                writeKey(w, x.after());
            }
            w.varint(x.maxRecords());
        } else if (m instanceof StateChunk x) {
            w.varint(x.records().size());
            for (SessionRecord r : x.records()) {
                writeChanges(w, RecordChanges.whole(r));
            }
            w.bool(x.last());
        } else if (m instanceof TouchBatch x) {
            w.varint(x.touches().size());
            for (GridMessage.Touch t : x.touches()) {
                writeKey(w, t.key());
                w.i64(t.accessTime());
            }
            w.bool(x.forwarded());
        } else if (m instanceof GridMessage.ListSessions x) {
            w.string(x.namespace());
            w.bool(x.exact());
        } else if (m instanceof GridMessage.SessionList x) {
            w.varint(x.records().size());
            for (SessionRecord r : x.records()) {
                writeChanges(w, RecordChanges.whole(r));
            }
        } else if (m instanceof GridMessage.Changed x) {
            writeKey(w, x.key());
            w.i64(x.version());
        } else if (m instanceof GridMessage.MergePush x) {
            w.i64(x.mergeId());
            writeTopology(w, x.target());
        } else if (m instanceof GridMessage.MergeRecords x) {
            w.i64(x.mergeId());
            w.varint(x.records().size());
            for (SessionRecord r : x.records()) {
                writeChanges(w, RecordChanges.whole(r));
            }
        } else if (m instanceof GridMessage.MergeResult x) {
            w.i64(x.conflicts());
        } else if (m instanceof Retry x) {
            w.i64(x.topologyId());
        } else if (m instanceof Ack) {
            // no fields
        } else if (m instanceof Failure x) {
            w.string(x.message());
        }
    }

    /**
     * Decodes one message, or explains why it is not one. Never throws anything else: a message from
     * a broken or hostile peer must not disturb the receiver.
     */
    public GridMessage decode(byte[] bytes) throws MalformedMessageException {
        return decode(bytes, 0, bytes == null ? 0 : bytes.length);
    }

    /**
     * Decodes the message in {@code length} bytes of {@code array} from {@code offset} (a received
     * message's buffer, read in place), or explains why it is not one; see {@link #decode(byte[])}.
     * The message does not refer to the array afterwards.
     *
     * @throws IndexOutOfBoundsException if offset and length do not lie within the array (a bug of the
     *                                   caller, not a malformed message)
     */
    public GridMessage decode(byte[] array, int offset, int length) throws MalformedMessageException {
        if (array == null || length < 4) {
            throw new MalformedMessageException(TRUNCATED, "message shorter than its 4-byte header");
        }
        Objects.checkFromIndexSize(offset, length, array.length);
        WireReader r = new WireReader(array, offset, offset + length, maxValueBytes);
        int magic = (r.u8("magic") << 8) | r.u8("magic");
        if (magic != MAGIC) {
            throw new MalformedMessageException(WRONG_VERSION, "not a SessionGrid message (magic 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int version = r.u8("format version");
        if (version != FORMAT_VERSION) {
            throw new MalformedMessageException(WRONG_VERSION, "wire format version " + version + ", this node speaks "
                    + FORMAT_VERSION + ": run the same SessionGrid version on every node");
        }
        int type = r.u8("type");
        try {
            GridMessage m = switch (type) {
                case 1 -> new JoinRequest(r.varint("numSegments"), r.varint("numOwners"));
                case 2 -> new JoinReply(r.bool("accepted"), r.nullableString("reason"), readNullableTopology(r));
                case 3 -> new LeaveRequest();
                case 4 -> new TopologyUpdate(readTopology(r));
                case 5 -> new TopologyQuery();
                case 6 -> new TopologyStatus(readNullableTopology(r), r.bool("joined"), r.varint("numSegments"),
                        r.varint("numOwners"), r.bool("seesSender"));
                case 7 -> new RebalanceConfirm(r.i64("topologyId"));
                case 8 -> {
                    int n = r.count("segment counts", 2, MAX_SEGMENTS);
                    int[] segs = new int[n];
                    int[] counts = new int[n];
                    for (int i = 0; i < n; i++) {
                        segs[i] = r.varint("segment");
                        counts[i] = r.varint("sessions");
                    }
                    yield new GridMessage.SegmentCounts(segs, counts);
                }
                case 10 -> new CommitRequest(r.i64("topologyId"), readKey(r), enumOf(CommitKind.values(), r, "commit kind"),
                        r.i64("baseVersion"), readDelta(r), r.varint("tombstoneSeconds"), r.i64("opId"),
                        r.nullableString("lockToken"), r.i64("lockWaitMillis"));
                case 11 -> new CommitReply(enumOf(CommitStatus.values(), r, "commit status"), r.i64("version"),
                        r.bool("changes present") ? readChanges(r) : null);
                case 12 -> new ReadRequest(r.i64("topologyId"), readKey(r), r.i64("knownVersion"));
                case 13 -> new ReadReply(enumOf(ReadStatus.values(), r, "read status"),
                        r.bool("changes present") ? readChanges(r) : null);
                case 14 -> new ReplicateRequest(r.i64("topologyId"), readChanges(r));
                case 15 -> new ReplicateReply(r.bool("applied"));
                case 16 -> new StateRequest(r.i64("topologyId"), r.varint("segment"),
                        r.bool("after present") ? readKey(r) : null, r.varint("maxRecords"));
                case 17 -> new StateChunk(readWholeRecords(r), r.bool("last"));
                case 18 -> {
                    int n = r.count("touches", 10, MAX_BATCH);
                    List<GridMessage.Touch> touches = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        touches.add(new GridMessage.Touch(readKey(r), r.i64("accessTime")));
                    }
                    yield new TouchBatch(touches, r.bool("forwarded"));
                }
                case 19 -> new GridMessage.MergePush(r.i64("mergeId"), readTopology(r));
                case 20 -> new GridMessage.MergeRecords(r.i64("mergeId"), readWholeRecords(r));
                case 21 -> new GridMessage.MergeResult(r.i64("conflicts"));
                case 22 -> new GridMessage.ListSessions(r.string("namespace"), r.bool("exact"));
                case 23 -> new GridMessage.SessionList(readWholeRecords(r, MAX_LISTED_SESSIONS));
                case 24 -> new GridMessage.Changed(readKey(r), r.i64("version"));
                case 30 -> new Retry(r.i64("topologyId"));
                case 31 -> new Ack();
                case 32 -> new Failure(r.string("failure message"));
                default -> throw new MalformedMessageException(UNKNOWN_TYPE, "unknown message type " + type);
            };
            r.expectEnd();
            return m;
        } catch (IllegalArgumentException | NullPointerException e) {
            // A value that parses but violates an invariant of its type (a negative version, an owner
            // index out of range, ...): the constructors say which.
            throw new MalformedMessageException(INVALID_VALUE, "message type " + type + ": " + e.getMessage());
        }
    }

    private static List<SessionRecord> readWholeRecords(WireReader r) throws MalformedMessageException {
        return readWholeRecords(r, MAX_BATCH);
    }

    private static List<SessionRecord> readWholeRecords(WireReader r, int max) throws MalformedMessageException {
        int n = r.count("records", 20, max);
        List<SessionRecord> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            RecordChanges c = readChanges(r);
            if (c.baseVersion() != 0) {
                throw new MalformedMessageException(INVALID_VALUE, "a partial record where whole records belong");
            }
            records.add(c.applyTo(null));
        }
        return records;
    }

    private static <E extends Enum<E>> E enumOf(E[] values, WireReader r, String what) throws MalformedMessageException {
        int o = r.u8(what);
        if (o >= values.length) {
            throw new MalformedMessageException(INVALID_VALUE, what + " " + o + " unknown");
        }
        return values[o];
    }

    // ---- values ----

    private static void writeKey(WireWriter w, SessionKey k) {
        w.string(k.namespace());
        w.string(k.id());
    }

    private static SessionKey readKey(WireReader r) throws MalformedMessageException {
        return new SessionKey(r.string("namespace"), r.string("session id"));
    }

    private static void writeMeta(WireWriter w, SessionMeta m) {
        w.i64(m.creationTime());
        w.i64(m.lastAccessedTime());
        w.i32(m.maxInactiveInterval());
        w.bool(m.valid());
        w.nullableBytes(m.containerData());
        w.nullableString(m.lockOwner());
        w.i64(m.lastOpId());
    }

    private static SessionMeta readMeta(WireReader r) throws MalformedMessageException {
        return new SessionMeta(r.i64("creationTime"), r.i64("lastAccessedTime"), r.i32("maxInactiveInterval"),
                r.bool("valid"), r.nullableBytes("containerData"), r.nullableString("lockOwner"), r.i64("lastOpId"));
    }

    private static void writeDelta(WireWriter w, SessionDelta d) {
        w.i64(d.creationTime());
        w.i64(d.lastAccessedTime());
        w.i64(d.maxInactiveInterval());
        w.bool(d.containerDataChanged());
        if (d.containerDataChanged()) {
            w.nullableBytes(d.containerData());
        }
        w.varint(d.set().size());
        d.set().forEach((n, v) -> {
            w.string(n);
            w.bytes(v);
        });
        w.varint(d.removed().size());
        d.removed().forEach(w::string);
    }

    private static SessionDelta readDelta(WireReader r) throws MalformedMessageException {
        SessionDelta.Builder b = SessionDelta.builder();
        long created = r.i64("creationTime");
        long accessed = r.i64("lastAccessedTime");
        long maxInactive = r.i64("maxInactiveInterval");
        if (created != SessionDelta.UNCHANGED) {
            b.creationTime(created);
        }
        if (accessed != SessionDelta.UNCHANGED) {
            b.lastAccessedTime(accessed);
        }
        if (maxInactive != SessionDelta.UNCHANGED) {
            if (maxInactive < Integer.MIN_VALUE || maxInactive > Integer.MAX_VALUE) {
                throw new MalformedMessageException(INVALID_VALUE, "maxInactiveInterval out of range");
            }
            b.maxInactiveInterval((int) maxInactive);
        }
        if (r.bool("containerData changed")) {
            b.containerData(r.nullableBytes("containerData"));
        }
        int sets = r.count("set attributes", 2, MAX_ATTRIBUTES);
        for (int i = 0; i < sets; i++) {
            b.set(r.string("attribute name"), r.bytes("attribute value"));
        }
        int removes = r.count("removed attributes", 1, MAX_ATTRIBUTES);
        for (int i = 0; i < removes; i++) {
            b.remove(r.string("attribute name"));
        }
        return b.build();
    }

    private static void writeChanges(WireWriter w, RecordChanges c) {
        writeKey(w, c.key());
        w.i64(c.baseVersion());
        w.i64(c.version());
        writeMeta(w, c.meta());
        w.varint(c.changed().size());
        c.changed().forEach((n, a) -> {
            w.string(n);
            w.bytes(a.value());
            w.i64(a.version());
        });
        // Names of a whole record are the changed ones; send them once.
        boolean whole = c.baseVersion() == 0;
        if (!whole) {
            w.varint(c.names().size());
            c.names().forEach(w::string);
        }
    }

    private static RecordChanges readChanges(WireReader r) throws MalformedMessageException {
        SessionKey key = readKey(r);
        long base = r.i64("baseVersion");
        long version = r.i64("version");
        if (base < 0 || version <= 0 || base >= version) {
            throw new MalformedMessageException(INVALID_VALUE, "changes of " + key + " from v" + base + " to v" + version);
        }
        SessionMeta meta = readMeta(r);
        int n = r.count("changed attributes", 10, MAX_ATTRIBUTES);
        TreeMap<String, Attribute> changed = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String name = r.string("attribute name");
            byte[] value = r.bytes("attribute value");
            long v = r.i64("attribute version");
            if (v <= 0 || v > version) {
                throw new MalformedMessageException(INVALID_VALUE, "attribute '" + name + "' at v" + v + " in a record at v"
                        + version);
            }
            changed.put(name, new Attribute(value, v));
        }
        List<String> names;
        if (base == 0) {
            names = new ArrayList<>(changed.keySet());
        } else {
            int nn = r.count("attribute names", 1, MAX_ATTRIBUTES);
            names = new ArrayList<>(nn);
            for (int i = 0; i < nn; i++) {
                names.add(r.string("attribute name"));
            }
        }
        return new RecordChanges(key, base, version, meta, changed, names);
    }

    private static void writeNullableTopology(WireWriter w, Topology t) {
        w.bool(t != null);
        if (t != null) {
            writeTopology(w, t);
        }
    }

    private static Topology readNullableTopology(WireReader r) throws MalformedMessageException {
        return r.bool("topology present") ? readTopology(r) : null;
    }

    private static void writeTopology(WireWriter w, Topology t) {
        w.i64(t.id());
        w.u8(t.phase().ordinal());
        w.varint(t.numOwners());
        writeTable(w, t.current());
        if (t.pending() != null) {
            writeTable(w, t.pending());
        }
    }

    private static Topology readTopology(WireReader r) throws MalformedMessageException {
        long id = r.i64("topology id");
        Phase phase = enumOf(Phase.values(), r, "phase");
        int numOwners = r.varint("numOwners");
        OwnerTable current = readTable(r);
        OwnerTable pending = phase == Phase.NONE ? null : readTable(r);
        return new Topology(id, phase, numOwners, current, pending);
    }

    private static void writeTable(WireWriter w, OwnerTable t) {
        w.varint(t.members().size());
        for (Member m : t.members()) {
            w.string(m.id());
            w.nullableString(m.name());
            w.nullableString(m.site());
            w.nullableString(m.rack());
            w.nullableString(m.machine());
        }
        w.varint(t.numSegments());
        for (int s = 0; s < t.numSegments(); s++) {
            int[] owners = t.ownerIndexes(s);
            w.varint(owners.length);
            for (int o : owners) {
                w.varint(o);
            }
        }
    }

    private static OwnerTable readTable(WireReader r) throws MalformedMessageException {
        int n = r.count("members", 5, MAX_MEMBERS);
        List<Member> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            members.add(new Member(r.string("member id"), r.nullableString("member name"), r.nullableString("site"),
                    r.nullableString("rack"), r.nullableString("machine")));
        }
        int segments = r.count("segments", 1, MAX_SEGMENTS);
        if (segments == 0) {
            throw new MalformedMessageException(INVALID_VALUE, "owner table without segments");
        }
        int[][] owners = new int[segments][];
        for (int s = 0; s < segments; s++) {
            int k = r.count("owners", 1, Math.min(MAX_OWNERS_PER_SEGMENT, Math.max(1, n)));
            owners[s] = new int[k];
            for (int i = 0; i < k; i++) {
                owners[s][i] = r.varint("owner index");
            }
        }
        return new OwnerTable(members, segments, owners);
    }
}
