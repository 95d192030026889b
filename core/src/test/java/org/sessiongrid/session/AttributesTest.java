package org.sessiongrid.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * {@link Attributes} against the model it replaces, a {@code TreeMap<String, Attribute>}: random deltas
 * applied to both through {@link SessionRecord#apply}, and the changes a holder of an older version
 * receives ({@link SessionRecord#changesSince}, {@link RecordChanges#applyTo}), must give the same
 * entries in the same order after every step. Seeded, so a failure names the seed that reproduces it.
 */
class AttributesTest {

    private static final SessionKey KEY = new SessionKey("ns", "id");
    /**
     * Few names, so that deltas replace and remove what earlier ones set; with the empty name, names
     * that are prefixes of others, upper case before lower case and non-ASCII, whose order
     * {@link String#compareTo} decides.
     */
    private static final String[] NAMES = {"", "a", "ab", "abc", "B", "b", "counter", "é", "z", "zz", "\uD83D\uDE00", "Z"};

    @Test
    void randomDeltasGiveWhatATreeMapGives() {
        for (long seed = 1; seed <= 100; seed++) {
            Random rnd = new Random(seed);
            SessionRecord record = SessionRecord.create(KEY, 1, delta(rnd, NAMES.length));
            TreeMap<String, Attribute> model = new TreeMap<>();
            record.attributes().forEach(model::put);
            List<SessionRecord> history = new ArrayList<>(List.of(record));
            for (int step = 0; step < 40; step++) {
                SessionDelta d = delta(rnd, NAMES.length);
                long v = record.version() + 1 + rnd.nextInt(3);
                for (Map.Entry<String, byte[]> s : d.set().entrySet()) {
                    model.put(s.getKey(), new Attribute(s.getValue(), v));
                }
                d.removed().forEach(model::remove);
                record = record.apply(d, v);
                assertSameAs(model, record.attributes(), "seed " + seed + " step " + step + " " + d);
                // A holder of any earlier version reaches the same record from the changes since its version.
                SessionRecord holder = history.get(rnd.nextInt(history.size()));
                RecordChanges c = record.changesSince(holder.version());
                for (Map.Entry<String, Attribute> e : c.changed().entrySet()) {
                    assertTrue(e.getValue().version() > holder.version(), "seed " + seed + ": only changes travel");
                }
                assertEquals(record, c.applyTo(holder), "seed " + seed + " step " + step + " from v" + holder.version());
                assertEquals(record, RecordChanges.whole(record).applyTo(null), "seed " + seed + " whole");
                history.add(record);
            }
        }
    }

    @Test
    void aNameBothSetAndRemovedIsRemovedAsTheTreeMapMergeDid() {
        SessionRecord r = SessionRecord.create(KEY, 1, SessionDelta.builder().set("a", bytes(1)).set("b", bytes(2)).build());
        // The builder keeps a name in one of the two only; a delta read elsewhere may carry both.
        Attributes merged = r.attributes().with(Map.of("a", bytes(3), "c", bytes(4)), List.of("a", "c"), 2);
        assertEquals(List.of("b"), merged.names());
        Attributes same = r.attributes().with(Map.of("x", bytes(3)), List.of("x"), 2);
        assertSame(r.attributes(), same, "nothing changes");
    }

    @Test
    void emptyAttributes() {
        SessionRecord r = SessionRecord.create(KEY, 1, SessionDelta.builder().build());
        assertTrue(r.attributes().isEmpty());
        assertSame(r.attributes(), r.apply(SessionDelta.builder().remove("x").build(), 2).attributes(), "no copy");
        assertEquals(Map.of(), r.attributes());
        assertEquals(new TreeMap<>(), r.attributes());
        assertNull(r.attribute("x"));
        assertThrows(NoSuchElementException.class, () -> r.attributes().firstKey());
        assertThrows(NoSuchElementException.class, () -> r.attributes().lastKey());
        SessionRecord some = r.apply(SessionDelta.builder().set("x", bytes(1)).set("y", bytes(2)).build(), 2);
        SessionRecord none = some.apply(SessionDelta.builder().remove("y").remove("x").build(), 3);
        assertSame(Attributes.empty(), none.attributes());
        assertEquals(none, none.changesSince(2).applyTo(some));
        assertTrue(some.tombstone(4, 0, 60).attributes().isEmpty());
    }

    @Test
    void largeRecordsAgreeWithTheModel() {
        Random rnd = new Random(7);
        TreeMap<String, Attribute> model = new TreeMap<>();
        SessionDelta.Builder first = SessionDelta.builder();
        for (int i = 0; i < 2_000; i++) {
            first.set("attr-" + rnd.nextInt(1_000_000), bytes(i));
        }
        SessionRecord r = SessionRecord.create(KEY, 1, first.build());
        r.attributes().forEach(model::put);
        for (int step = 2; step < 20; step++) {
            SessionDelta.Builder d = SessionDelta.builder();
            List<String> names = new ArrayList<>(model.keySet());
            for (int k = 0; k < 100; k++) {
                String name = rnd.nextBoolean() ? names.get(rnd.nextInt(names.size())) : "attr-" + rnd.nextInt(1_000_000);
                if (rnd.nextInt(3) == 0) {
                    d.remove(name);
                } else {
                    d.set(name, bytes(k));
                }
            }
            SessionDelta delta = d.build();
            long version = step;
            delta.set().forEach((n, v) -> model.put(n, new Attribute(v, version)));
            delta.removed().forEach(model::remove);
            SessionRecord next = r.apply(delta, step);
            assertSameAs(model, next.attributes(), "step " + step);
            assertEquals(next, next.changesSince(r.version()).applyTo(r));
            r = next;
        }
    }

    @Test
    void aBuilderInAnyOrderKeepsTheLastOfAName() {
        Random rnd = new Random(11);
        for (int round = 0; round < 500; round++) {
            TreeMap<String, Attribute> model = new TreeMap<>();
            int n = rnd.nextInt(20);
            Attributes.Builder b = Attributes.builder(rnd.nextInt(n + 1));
            for (int i = 0; i < n; i++) {
                String name = NAMES[rnd.nextInt(NAMES.length)];
                Attribute a = new Attribute(bytes(i), 1 + rnd.nextInt(5));
                model.put(name, a);
                b.put(name, a);
            }
            assertSameAs(model, b.build(), "round " + round);
            assertSameAs(model, Attributes.copyOf(model), "round " + round);
        }
    }

    @Test
    void aSortedMapLikeATreeMap() {
        TreeMap<String, Attribute> model = new TreeMap<>();
        for (int i = 0; i < NAMES.length; i += 2) {
            model.put(NAMES[i], new Attribute(bytes(i), i + 1));
        }
        Attributes a = Attributes.copyOf(model);
        assertEquals(model, a);
        assertEquals(a, model);
        assertEquals(model.hashCode(), a.hashCode());
        assertEquals(model.firstKey(), a.firstKey());
        assertEquals(model.lastKey(), a.lastKey());
        for (String from : NAMES) {
            assertEquals(model.tailMap(from), a.tailMap(from), "tail from " + from);
            assertEquals(model.headMap(from), a.headMap(from), "head to " + from);
            for (String to : NAMES) {
                if (from.compareTo(to) <= 0) {
                    assertEquals(model.subMap(from, to), a.subMap(from, to), from + " to " + to);
                }
            }
        }
        assertEquals(List.copyOf(model.keySet()), List.copyOf(a.keySet()));
        assertEquals(List.copyOf(model.values()), List.copyOf(a.values()));
        assertThrows(UnsupportedOperationException.class, () -> a.put("q", new Attribute(bytes(1), 1)));
        assertThrows(UnsupportedOperationException.class, () -> a.remove(NAMES[0]));
        assertThrows(UnsupportedOperationException.class, () -> a.entrySet().iterator().next().setValue(null));
        assertThrows(UnsupportedOperationException.class, () -> a.names().set(0, "x"));
        assertThrows(IndexOutOfBoundsException.class, () -> a.names().get(a.size()));
    }

    /** Same names in the same order, each with the model's value bytes and version. */
    private static void assertSameAs(TreeMap<String, Attribute> model, Attributes actual, String where) {
        assertEquals(List.copyOf(model.keySet()), actual.names(), where + ": names and their order");
        assertEquals(model.size(), actual.size(), where);
        int i = 0;
        for (Map.Entry<String, Attribute> e : model.entrySet()) {
            assertEquals(e.getKey(), actual.name(i), where);
            assertArrayEquals(e.getValue().value(), actual.attribute(i).value(), where + ": value of " + e.getKey());
            assertEquals(e.getValue().version(), actual.attribute(i).version(), where + ": version of " + e.getKey());
            assertEquals(e.getValue(), actual.get(e.getKey()), where);
            assertEquals(i, actual.indexOf(e.getKey()), where);
            i++;
        }
        for (String name : NAMES) {
            assertEquals(model.containsKey(name), actual.containsKey(name), where + ": contains " + name);
            if (!model.containsKey(name)) {
                int insertion = model.headMap(name).size();
                assertEquals(-insertion - 1, actual.indexOf(name), where + ": insertion point of " + name);
            }
        }
        assertEquals(model, actual, where);
    }

    /** Up to {@code max} random sets and removals, in random order. */
    private static SessionDelta delta(Random rnd, int max) {
        SessionDelta.Builder d = SessionDelta.builder();
        int n = rnd.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            String name = NAMES[rnd.nextInt(NAMES.length)];
            if (rnd.nextInt(4) == 0) {
                d.remove(name);
            } else {
                d.set(name, bytes(rnd.nextInt(64)));
            }
        }
        return d.build();
    }

    private static byte[] bytes(int seed) {
        byte[] b = new byte[seed % 17];
        new Random(seed).nextBytes(b);
        return b;
    }
}
