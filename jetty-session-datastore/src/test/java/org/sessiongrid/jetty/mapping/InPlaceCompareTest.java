package org.sessiongrid.jetty.mapping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * A save learns that an attribute is unchanged by comparing its stored bytes with the value in place
 * ({@link JettyStreamForms#matches}, {@link AttributeSerializer#encodesTo}) instead of encoding the value again:
 * the comparison says "same" exactly when Jetty's own stream of the value is those bytes, for every direct form,
 * name and flag, and never for bytes that differ anywhere.
 */
class InPlaceCompareTest {

    private static List<String> names() {
        return List.of("a", "counter", "payload", "n".repeat(JettyStreamForms.MAX_NAME), "n".repeat(252), "caf\u00e9");
    }

    @SuppressWarnings("removal") // new Integer(1): a 1 that is not the count's own object
    private static List<Object> values() {
        Random random = new Random(11);
        List<Object> v = new ArrayList<>();
        for (int n : new int[] {0, 1, 2, 255, 1024, 1025}) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            v.add(b);
        }
        byte[] kib = (byte[]) v.get(4);
        byte[] lastByte = kib.clone();
        lastByte[lastByte.length - 1]++;
        v.add(lastByte);
        v.add(kib.clone()); // equal content, another array
        for (int i : new int[] {0, 1, -1, 2, 255, 256, 1_000, 1_001, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            v.add(i);
        }
        v.add(new Integer(1));
        for (long l : new long[] {0, 1, -1, 1_000, 1L << 40, Long.MIN_VALUE, Long.MAX_VALUE}) {
            v.add(l);
        }
        v.addAll(List.of("", "a", "b", "ab", "\u007f", "user-7", "user-8", "x".repeat(300), "caf\u00e9", "a\u0000b"));
        v.addAll(List.of((short) 1_000, 2.5d, new int[] {1_000}, new ArrayList<>(List.of("a", 1))));
        return v;
    }

    /** Context loaders under which Jetty writes every kind once with each flag (as in DirectDecodeTest). */
    private static List<ClassLoader> writerLoaders() {
        return Arrays.asList(null, new ClassLoader(null) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                throw new ClassNotFoundException(name);
            }
        });
    }

    private record Stored(String name, Object value, byte[] bytes, boolean flag) {
    }

    @Test
    void bytesMatchAValueExactlyWhenJettysStreamOfItIsThoseBytes() throws Exception {
        int matched = 0;
        for (ClassLoader writer : writerLoaders()) {
            List<Stored> stored = new ArrayList<>();
            ClassLoader original = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(writer);
            try {
                for (String name : names()) {
                    for (Object value : values()) {
                        byte[] bytes = JettyStreamForms.jettyStream(name, value);
                        // Where a direct form holds its flag; for the others, any byte (they match nothing).
                        boolean flag = JettyStreamForms.flagOffset(name) < bytes.length
                                && bytes[JettyStreamForms.flagOffset(name)] == 1;
                        stored.add(new Stored(name, value, bytes, flag));
                    }
                }
            } finally {
                Thread.currentThread().setContextClassLoader(original);
            }
            for (Stored s : stored) {
                for (Stored other : stored) {
                    boolean direct = JettyStreamForms.encode(other.name(), other.value(), s.flag()) != null;
                    boolean expected = direct && Arrays.equals(s.bytes(), other.bytes());
                    String what = s.name().length() + "-character name = " + describe(s.value()) + "'s bytes against "
                            + other.name().length() + "-character name = " + describe(other.value()) + ", flag "
                            + s.flag();
                    assertEquals(expected, JettyStreamForms.matches(s.bytes(), other.name(), other.value(), s.flag()),
                            what);
                    if (expected) {
                        matched++;
                        assertFalse(JettyStreamForms.matches(s.bytes(), other.name(), other.value(), !s.flag()),
                                what + ": the other flag");
                    }
                }
            }
        }
        // Every direct value under the short names matched itself, under both flags.
        assertTrue(matched > 2 * 4 * 30, "matches: " + matched);
    }

    @Test
    void bytesThatDifferAnywhereDoNotMatch() throws Exception {
        for (String name : List.of("a", "payload")) {
            for (Object value : values()) {
                byte[] bytes = JettyStreamForms.jettyStream(name, value);
                boolean flag = bytes[JettyStreamForms.flagOffset(name)] == 1;
                if (!JettyStreamForms.matches(bytes, name, value, flag)) {
                    continue; // no direct form: covered above
                }
                for (int i = 0; i < bytes.length; i++) {
                    byte[] changed = bytes.clone();
                    changed[i] ^= 0x01;
                    assertFalse(JettyStreamForms.matches(changed, name, value, flag),
                            describe(value) + ": byte " + i + " of " + bytes.length + " changed");
                }
                assertFalse(JettyStreamForms.matches(Arrays.copyOf(bytes, bytes.length - 1), name, value, flag),
                        describe(value) + ": one byte short");
                assertFalse(JettyStreamForms.matches(Arrays.copyOf(bytes, bytes.length + 1), name, value, flag),
                        describe(value) + ": one byte more");
            }
        }
    }

    @Test
    void theSerializerSaysSameOnlyForWhatItWouldWrite() throws Exception {
        AttributeSerializer serializer = new AttributeSerializer(null);
        List<Object> values = values();
        for (String name : names()) {
            for (Object stored : values) {
                byte[] bytes = serializer.encode(name, stored);
                for (Object now : values) {
                    boolean same = serializer.encodesTo(bytes, name, now);
                    if (same) {
                        assertArrayEquals(serializer.encode(name, now), bytes, () -> describe(stored) + " against "
                                + describe(now) + " under a " + name.length() + "-character name");
                    }
                }
                if (JettyStreamForms.kindOf(stored) >= 0 && stored != (Object) Integer.valueOf(1)
                        && !name.equals("caf\u00e9") && !stored.equals("caf\u00e9") && !stored.equals("a\u0000b")
                        && name.length() <= JettyStreamForms.MAX_NAME) {
                    assertTrue(serializer.encodesTo(bytes, name, stored), describe(stored) + " against itself");
                }
            }
        }
    }

    private static String describe(Object v) {
        if (v instanceof byte[] b) {
            return "byte[" + b.length + "] " + Arrays.hashCode(b);
        }
        if (v instanceof String s && s.length() > 20) {
            return "String of " + s.length();
        }
        return v.getClass().getSimpleName() + " " + (v instanceof int[] a ? Arrays.toString(a) : v);
    }
}
