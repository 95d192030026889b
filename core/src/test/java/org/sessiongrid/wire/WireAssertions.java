package org.sessiongrid.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.sessiongrid.session.SessionDelta;

/**
 * Equality of decoded messages. Several message values hold arrays ({@code byte[]} attribute values,
 * container data) or have no {@code equals} ({@link SessionDelta}), so record {@code equals} is not
 * enough: this walks records component by component and compares arrays by content.
 */
final class WireAssertions {

    private WireAssertions() {
    }

    /**
     * {@code actual} carries the same content as {@code expected}, field by field, and encodes to the
     * same bytes (so also the same order of attributes, names and members).
     */
    static void assertSameMessage(WireCodec codec, GridMessage expected, GridMessage actual) {
        List<String> differences = new ArrayList<>();
        compare(expected.getClass().getSimpleName(), expected, actual, differences);
        if (!differences.isEmpty()) {
            fail("decoded message differs from the original:\n  " + String.join("\n  ", differences));
        }
        assertArrayEquals(codec.encode(expected), codec.encode(actual), "re-encoded bytes of " + expected.getClass()
                .getSimpleName());
    }

    private static void compare(String path, Object e, Object a, List<String> out) {
        if (e == null || a == null) {
            if (e != a) {
                out.add(path + ": expected " + e + " but was " + a);
            }
            return;
        }
        // Collections compare by content whatever their implementation (List.copyOf picks one by size).
        boolean sameKind = e.getClass() == a.getClass() || e instanceof Map && a instanceof Map
                || e instanceof Collection && a instanceof Collection;
        if (!sameKind) {
            out.add(path + ": expected a " + e.getClass().getName() + " but was a " + a.getClass().getName());
            return;
        }
        if (e instanceof byte[] eb) {
            if (!Arrays.equals(eb, (byte[]) a)) {
                out.add(path + ": bytes differ: " + hex(eb) + " vs " + hex((byte[]) a));
            }
        } else if (e.getClass().isArray()) {
            if (!Arrays.deepEquals(new Object[] {e}, new Object[] {a})) {
                out.add(path + ": arrays differ: " + Arrays.deepToString(new Object[] {e}) + " vs "
                        + Arrays.deepToString(new Object[] {a}));
            }
        } else if (e.getClass().isRecord()) {
            for (RecordComponent c : e.getClass().getRecordComponents()) {
                compare(path + "." + c.getName(), get(c, e), get(c, a), out);
            }
        } else if (e instanceof SessionDelta ed) {
            SessionDelta ad = (SessionDelta) a;
            compare(path + ".creationTime", ed.creationTime(), ad.creationTime(), out);
            compare(path + ".lastAccessedTime", ed.lastAccessedTime(), ad.lastAccessedTime(), out);
            compare(path + ".maxInactiveInterval", ed.maxInactiveInterval(), ad.maxInactiveInterval(), out);
            compare(path + ".containerDataChanged", ed.containerDataChanged(), ad.containerDataChanged(), out);
            compare(path + ".containerData", ed.containerData(), ad.containerData(), out);
            compare(path + ".set", ed.set(), ad.set(), out);
            compare(path + ".removed", ed.removed(), ad.removed(), out);
        } else if (e instanceof Map<?, ?> em) {
            Map<?, ?> am = (Map<?, ?>) a;
            if (!em.keySet().equals(am.keySet())) {
                out.add(path + ": keys " + em.keySet() + " vs " + am.keySet());
                return;
            }
            em.forEach((k, v) -> compare(path + "[" + k + "]", v, am.get(k), out));
        } else if (e instanceof Collection<?> ec) {
            Collection<?> ac = (Collection<?>) a;
            if (ec.size() != ac.size()) {
                out.add(path + ": " + ec.size() + " elements vs " + ac.size());
                return;
            }
            Iterator<?> ai = ac.iterator();
            int i = 0;
            for (Object x : ec) {
                compare(path + "[" + i++ + "]", x, ai.next(), out);
            }
        } else if (!Objects.equals(e, a)) {
            // Topology, OwnerTable, SessionRecord, SessionMeta, strings, numbers, enums: their equals
            // compares content (arrays included).
            out.add(path + ": expected " + e + " but was " + a);
        }
    }

    private static Object get(RecordComponent c, Object record) {
        try {
            return c.getAccessor().invoke(record);
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError("cannot read " + c, ex);
        }
    }

    static String hex(byte[] b) {
        if (b.length > 64) {
            return HexFormat.of().formatHex(b, 0, 64) + "…(" + b.length + " bytes)";
        }
        return HexFormat.of().formatHex(b);
    }
}
