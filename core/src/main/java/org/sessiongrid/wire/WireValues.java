package org.sessiongrid.wire;

import static org.sessiongrid.wire.MalformedMessageException.Reason.INVALID_VALUE;

import java.util.ArrayList;
import java.util.List;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.Attributes;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;

/**
 * The encodings of the values messages carry (keys, metadata, deltas, record changes, topologies),
 * shared by the rows of {@link WireTypes}. Every reader checks counts against a bound before it
 * allocates, so a forged message cannot make a member allocate or compute far more than its size
 * suggests.
 */
final class WireValues {

    static final int MAX_MEMBERS = 65_536;
    /** GridConfig allows at most 65,536 segments. */
    static final int MAX_SEGMENTS = 65_536;
    /** A transmitted table has at most numOwners (at most 8) owners per segment; twice that for slack. */
    static final int MAX_OWNERS_PER_SEGMENT = 16;
    static final int MAX_ATTRIBUTES = 1 << 16;
    /** State chunks, merges and touch batches are sent in pieces well below this. */
    static final int MAX_BATCH = 1 << 16;
    /** A session listing answers for every session of a member's primary segments. */
    static final int MAX_LISTED_SESSIONS = 1 << 22;

    private WireValues() {
    }

    static void writeWholeRecords(WireWriter w, List<SessionRecord> records) {
        w.varint(records.size());
        for (SessionRecord r : records) {
            writeChanges(w, RecordChanges.whole(r));
        }
    }

    static List<SessionRecord> readWholeRecords(WireReader r) throws MalformedMessageException {
        return readWholeRecords(r, MAX_BATCH);
    }

    static List<SessionRecord> readWholeRecords(WireReader r, int max) throws MalformedMessageException {
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

    static void writeKey(WireWriter w, SessionKey k) {
        w.string(k.namespace());
        w.string(k.id());
    }

    static SessionKey readKey(WireReader r) throws MalformedMessageException {
        return new SessionKey(r.string("namespace"), r.string("session id"));
    }

    static void writeMeta(WireWriter w, SessionMeta m) {
        w.i64(m.creationTime());
        w.i64(m.lastAccessedTime());
        w.i32(m.maxInactiveInterval());
        w.bool(m.valid());
        w.nullableBytes(m.containerData());
        w.nullableString(m.lockOwner());
        w.i64(m.lastOpId());
    }

    static SessionMeta readMeta(WireReader r) throws MalformedMessageException {
        return new SessionMeta(r.i64("creationTime"), r.i64("lastAccessedTime"), r.i32("maxInactiveInterval"),
                r.bool("valid"), r.nullableBytes("containerData"), r.nullableString("lockOwner"), r.i64("lastOpId"));
    }

    static void writeDelta(WireWriter w, SessionDelta d) {
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

    static SessionDelta readDelta(WireReader r) throws MalformedMessageException {
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

    static void writeChanges(WireWriter w, RecordChanges c) {
        writeKey(w, c.key());
        w.i64(c.baseVersion());
        w.i64(c.version());
        writeMeta(w, c.meta());
        Attributes changed = c.changed();
        w.varint(changed.size());
        for (int i = 0; i < changed.size(); i++) {
            w.string(changed.name(i));
            w.bytes(changed.attribute(i).value());
            w.i64(changed.attribute(i).version());
        }
        // Names of a whole record are the changed ones; send them once.
        boolean whole = c.baseVersion() == 0;
        if (!whole) {
            List<String> names = c.names();
            w.varint(names.size());
            for (int i = 0; i < names.size(); i++) {
                w.string(names.get(i));
            }
        }
    }

    static RecordChanges readChanges(WireReader r) throws MalformedMessageException {
        SessionKey key = readKey(r);
        long base = r.i64("baseVersion");
        long version = r.i64("version");
        if (base < 0 || version <= 0 || base >= version) {
            throw new MalformedMessageException(INVALID_VALUE, "changes of " + key + " from v" + base + " to v" + version);
        }
        SessionMeta meta = readMeta(r);
        int n = r.count("changed attributes", 10, MAX_ATTRIBUTES);
        Attributes.Builder changed = Attributes.builder(n);
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
        Attributes attributes = changed.build();
        List<String> names;
        if (base == 0) {
            names = attributes.names();
        } else {
            int nn = r.count("attribute names", 1, MAX_ATTRIBUTES);
            names = new ArrayList<>(nn);
            for (int i = 0; i < nn; i++) {
                names.add(r.string("attribute name"));
            }
        }
        return new RecordChanges(key, base, version, meta, attributes, names);
    }

    static void writeNullableTopology(WireWriter w, Topology t) {
        w.bool(t != null);
        if (t != null) {
            writeTopology(w, t);
        }
    }

    static Topology readNullableTopology(WireReader r) throws MalformedMessageException {
        return r.bool("topology present") ? readTopology(r) : null;
    }

    static void writeTopology(WireWriter w, Topology t) {
        w.i64(t.id());
        WireTypes.PHASES.write(w, t.phase());
        w.varint(t.numOwners());
        writeTable(w, t.current());
        if (t.pending() != null) {
            writeTable(w, t.pending());
        }
    }

    static Topology readTopology(WireReader r) throws MalformedMessageException {
        long id = r.i64("topology id");
        Phase phase = WireTypes.PHASES.read(r);
        int numOwners = r.varint("numOwners");
        OwnerTable current = readTable(r);
        OwnerTable pending = phase == Phase.NONE ? null : readTable(r);
        return new Topology(id, phase, numOwners, current, pending);
    }

    static void writeTable(WireWriter w, OwnerTable t) {
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

    static OwnerTable readTable(WireReader r) throws MalformedMessageException {
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
