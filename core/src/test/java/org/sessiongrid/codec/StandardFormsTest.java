package org.sessiongrid.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The values {@link AttributeCodec} writes without an {@code ObjectOutputStream} come out byte for byte as
 * one would write them, so every reader (this version's, an older member's, a plain ObjectInputStream)
 * reads them as before; what is too large is still refused with the same error.
 */
class StandardFormsTest {

    private static List<Object> values() {
        List<Object> v = new ArrayList<>();
        Random random = new Random(7);
        for (int n : new int[] {0, 1, 2, 255, 1024, 65_536, 100_000}) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            v.add(b);
        }
        for (int i : new int[] {0, 1, -1, 127, 128, 255, 256, 65_535, 1 << 24, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            v.add(i);
        }
        for (long l : new long[] {0, 1, -1, 1L << 40, Long.MIN_VALUE, Long.MAX_VALUE}) {
            v.add(l);
        }
        v.add("");
        v.add("a");
        v.add("3f9c2a7e-51b4-4d0e-9a6b-c1d2e3f40516");
        v.add("x".repeat(65_535));
        return v;
    }

    @Test
    void standardFormsAreExactlyWhatObjectOutputStreamWrites() {
        StandardForms forms = new StandardForms(Long.MAX_VALUE, true, true);
        for (Object value : values()) {
            byte[] standard = forms.encode(value);
            assertNotNull(standard, "no standard form for " + describe(value));
            assertArrayEquals(StandardForms.serialize(value), standard, "form of " + describe(value));
        }
    }

    @Test
    void theCodecWritesTheSameBytesForEveryValueWithOrWithoutAStandardForm() throws Exception {
        AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());
        List<Object> all = new ArrayList<>(values());
        // No standard form: strings beyond ASCII or with NUL, longer than 65,535, other types.
        all.addAll(List.of("é", "a\u0000b", "\u20ac", "x".repeat(65_536), (short) 3, 2.5d, Boolean.TRUE,
                new int[] {1, 2}));
        for (Object value : all) {
            byte[] encoded = codec.encode("a", value);
            assertArrayEquals(StandardForms.serialize(value), encoded, "form of " + describe(value));
            Object back = codec.decode("a", encoded, getClass().getClassLoader());
            assertEquals(describe(value), describe(back), "read back");
        }
    }

    @Test
    void whatIsTooLargeIsRefusedAsBefore() {
        AttributeCodec small = new AttributeCodec(DeserializationPolicy.parse("maxbytes=1024"));
        assertThrows(AttributeTooLargeException.class, () -> small.encode("b", new byte[1024]));
        assertThrows(AttributeTooLargeException.class, () -> small.encode("s", "x".repeat(1024)));
        assertNull(new StandardForms(1024, true, true).encode(new byte[1024]), "too large: no standard form");
    }

    private static String describe(Object v) {
        if (v instanceof byte[] b) {
            return "byte[" + b.length + "] " + java.util.Arrays.hashCode(b);
        }
        if (v instanceof int[] a) {
            return java.util.Arrays.toString(a);
        }
        return v.getClass().getSimpleName() + " " + (v instanceof String s && s.length() > 40 ? s.length() + " chars" : v);
    }
}
