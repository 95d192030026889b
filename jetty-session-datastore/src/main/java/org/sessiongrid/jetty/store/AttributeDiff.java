package org.sessiongrid.jetty.store;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

import org.eclipse.jetty.session.SessionData;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * What this node last saw of each session it holds, by the identity of Jetty's {@link SessionData},
 * and a save's change measured against it: only attributes whose serialized bytes differ from this
 * node's copy travel, and the primary merges them at attribute level, so concurrent requests on
 * different nodes that change different attributes both keep their change. The change is measured
 * against what this node's copy reflects, never against a newer record that already holds other
 * nodes' changes (or the save would undo them).
 *
 * <p>Thread-safety: the map is synchronized; one session's saves are serialized by Jetty.
 */
final class AttributeDiff {

    /**
     * What this node last saw of a session: the record (the base of its next commit), the serialized
     * attributes this node's copy holds (changes are measured against them; the arrays are shared
     * with the records), the attribute objects (to skip re-serializing unchanged immutable values),
     * whether the record holds exactly this node's copy, and the record's Jetty metadata (decoded once,
     * not at every save that asks whether only the access time moved; null if it carries none).
     */
    record Seen(String id, SessionRecord record, Map<String, byte[]> mine, Map<String, Object> values,
                boolean coherent, JettyMetadata meta) {
        Seen {
            mine = Map.copyOf(mine);
            values = Map.copyOf(values);
        }
    }

    /**
     * A save's change: the delta of attributes to send, the bytes this node's copy holds after it, the
     * attribute objects they came from, and whether any attribute changed.
     */
    record Change(SessionDelta.Builder delta, Map<String, byte[]> nowMine, Map<String, Object> values,
                  boolean attributesChanged) {
    }

    private final Map<SessionData, Seen> seen = Collections.synchronizedMap(new WeakHashMap<>());
    private final AttributeSerializer serializer;

    AttributeDiff(AttributeSerializer serializer) {
        this.serializer = serializer;
    }

    /** What this node saw of {@code data} as session {@code id}, or null (never seen, or the id was renewed). */
    Seen seen(String id, SessionData data) {
        Seen s = seen.get(data);
        return s != null && s.id().equals(id) ? s : null;
    }

    /** {@code data} was just loaded from record {@code r}. */
    void loaded(String id, SessionData data, SessionRecord r) {
        seen.put(data, new Seen(id, r, bytesOf(r), data.getAllAttributes(), true, JettyMetadata.ofRecord(r)));
    }

    /**
     * Only the access time of {@code data} moved (a touch, or not even that): its base stays {@code base},
     * whose Jetty metadata is {@code baseMeta}.
     */
    void touched(String id, SessionData data, SessionRecord base, JettyMetadata baseMeta, Change change, Seen before) {
        if (before != null && before.record() == base && before.meta() == baseMeta
                && sameObjects(before.mine(), change.nowMine()) && sameObjects(before.values(), change.values())) {
            return; // what this node saw is what it sees now (the save at a request's end, after its commit)
        }
        seen.put(data, new Seen(id, base, change.nowMine(), change.values(), before == null || before.coherent(),
                baseMeta));
    }

    /**
     * {@code data}'s change was stored as {@code result}; {@code written} is the Jetty metadata the change
     * carried, and {@code writtenBytes} its encoding.
     */
    void saved(String id, SessionData data, SessionRecord result, Change change, JettyMetadata written,
               byte[] writtenBytes) {
        JettyMetadata meta = Arrays.equals(result.meta().containerData(), writtenBytes) ? written
                : JettyMetadata.ofRecord(result);
        seen.put(data, new Seen(id, result, change.nowMine(), change.values(),
                sameAttributes(result, change.nowMine()), meta));
    }

    /** The Jetty metadata of {@code base}: decoded once per record this node saw ({@code before}), else now. */
    static JettyMetadata metaOf(SessionRecord base, Seen before) {
        return before != null && before.record() == base ? before.meta() : JettyMetadata.ofRecord(base);
    }

    /**
     * The grid moved {@code data}'s session to {@code newId} as {@code moved}, the copy's base from now on;
     * what this node's copy holds ({@code before}) is unchanged, so that its unsaved changes still travel.
     */
    void moved(String newId, SessionData data, Seen before, SessionRecord moved) {
        seen.put(data, new Seen(newId, moved, before.mine(), before.values(),
                before.coherent() && sameAttributes(moved, before.mine()), JettyMetadata.ofRecord(moved)));
    }

    /** {@code data} is not the session the grid holds under {@code id} ({@code current}): its next check finds it stale. */
    void notCurrent(String id, SessionData data, SessionRecord current) {
        seen.put(data, new Seen(id, current, Map.of(), Map.of(), false, JettyMetadata.ofRecord(current)));
    }

    void clear() {
        seen.clear();
    }

    /**
     * The change of {@code data} since this node saw it ({@code before}), or since {@code base} for a
     * copy this node never saw; every attribute when there is neither.
     *
     * @throws IOException naming the attribute that cannot be serialized
     */
    Change measure(SessionData data, Seen before, SessionRecord base) throws IOException {
        Map<String, byte[]> mine = before != null ? before.mine() : base != null ? bytesOf(base) : Map.of();
        SessionDelta.Builder delta = SessionDelta.builder();
        Map<String, Object> values = data.getAllAttributes();
        Map<String, byte[]> nowMine = new HashMap<>();
        boolean attributesChanged = false;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            String name = e.getKey();
            Object value = e.getValue();
            byte[] had = mine.get(name);
            if (had != null && before != null && before.values().get(name) == value
                    && AttributeSerializer.isKnownImmutable(value)) {
                nowMine.put(name, had); // the same immutable object as last time: same bytes
                continue;
            }
            byte[] bytes;
            try {
                if (had != null && base != null && serializer.encodesTo(had, name, value)) {
                    // Unchanged, compared in place: a mutable value (a byte array) is checked at every save
                    // without a copy of it.
                    nowMine.put(name, had);
                    continue;
                }
                bytes = serializer.encode(name, value);
            } catch (IOException e2) {
                throw new IOException("attribute '" + name + "' (" + value.getClass().getName()
                        + ") is not serializable: " + e2, e2);
            }
            if (base == null || !Arrays.equals(bytes, had)) {
                delta.set(name, bytes);
                attributesChanged = true;
                nowMine.put(name, bytes);
            } else {
                nowMine.put(name, had);
            }
        }
        for (String name : mine.keySet()) {
            if (!values.containsKey(name)) {
                delta.remove(name);
                attributesChanged = true;
            }
        }
        return new Change(delta, nowMine, values, attributesChanged);
    }

    /** Adds every attribute of {@code data} to {@code delta} (a record written back whole). */
    SessionDelta.Builder allAttributes(SessionDelta.Builder delta, SessionData data) throws IOException {
        for (Map.Entry<String, Object> e : data.getAllAttributes().entrySet()) {
            delta.set(e.getKey(), serializer.encode(e.getKey(), e.getValue()));
        }
        return delta;
    }

    /**
     * True if {@code data}, this node's copy of session {@code id}, is still what the cluster holds,
     * asking the session's primary (from memory when that is this member). A copy this node never saw
     * (a new session) counts as current.
     */
    boolean isCurrent(SessionStore sessions, String id, SessionData data) {
        Seen s = seen(id, data);
        if (s == null) {
            return true;
        }
        if (!s.coherent()) {
            return false;
        }
        SessionRecord now = sessions.find(id, s.record());
        if (now == s.record()) {
            return true;
        }
        if (now != null && sameContent(now, s.record())) {
            // Only the lock moved (lockingMode takes and releases it with a version bump each):
            // the copy is still right; commit on top of the newer record.
            seen.put(data, new Seen(id, now, s.mine(), s.values(), s.coherent(), JettyMetadata.ofRecord(now)));
            return true;
        }
        return false;
    }

    /** True if this node's copy {@code data} of session {@code id} reflects {@code version} or a later one. */
    boolean hasSeen(String id, SessionData data, long version) {
        Seen s = seen(id, data);
        return s != null && s.record() != null && s.record().version() >= version;
    }

    static Map<String, byte[]> bytesOf(SessionRecord r) {
        Map<String, byte[]> m = new HashMap<>();
        r.attributes().forEach((n, a) -> m.put(n, a.value()));
        return m;
    }

    /** True if both maps hold the very same objects under the same names. */
    private static <V> boolean sameObjects(Map<String, V> a, Map<String, V> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (Map.Entry<String, V> e : a.entrySet()) {
            if (b.get(e.getKey()) != e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** True if the record holds exactly the attributes this node's copy holds (no one else's change). */
    private static boolean sameAttributes(SessionRecord r, Map<String, byte[]> mine) {
        if (!r.attributes().keySet().equals(mine.keySet())) {
            return false;
        }
        for (Map.Entry<String, Attribute> a : r.attributes().entrySet()) {
            byte[] m = mine.get(a.getKey());
            if (m != a.getValue().value() && !Arrays.equals(m, a.getValue().value())) {
                return false;
            }
        }
        return true;
    }

    /** True if two versions of a record differ in nothing a request sees (attributes, Jetty metadata, timeout). */
    private static boolean sameContent(SessionRecord a, SessionRecord b) {
        if (a.meta().maxInactiveInterval() != b.meta().maxInactiveInterval()
                || !Arrays.equals(a.meta().containerData(), b.meta().containerData())
                || !a.attributes().keySet().equals(b.attributes().keySet())) {
            return false;
        }
        for (Map.Entry<String, Attribute> e : a.attributes().entrySet()) {
            if (e.getValue().version() != b.attributes().get(e.getKey()).version()) {
                return false;
            }
        }
        return true;
    }
}
