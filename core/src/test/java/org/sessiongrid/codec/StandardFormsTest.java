package org.sessiongrid.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void everyStandardFormReadsBackAsObjectInputStreamReadsIt() throws Exception {
        StandardForms forms = new StandardForms(Long.MAX_VALUE, true, true);
        for (Object value : values()) {
            byte[] stream = StandardForms.serialize(value);
            Object read = forms.decode(stream, Long.MAX_VALUE);
            assertNotNull(read, describe(value));
            assertEquals(describe(readWithStream(stream)), describe(read));
            assertEquals(readWithStream(stream).getClass(), read.getClass());
        }
    }

    @Test
    void anythingElseIsLeftToTheStream() {
        StandardForms forms = new StandardForms(Long.MAX_VALUE, true, true);
        List<byte[]> others = new ArrayList<>();
        others.add(StandardForms.serialize(new ArrayList<>(List.of("a"))));
        others.add(StandardForms.serialize("caf\u00e9"));          // not ASCII
        others.add(StandardForms.serialize("a\u0000b"));           // NUL is two bytes in modified UTF-8
        others.add(StandardForms.serialize(new int[] {1, 2}));
        others.add(StandardForms.serialize((short) 3));
        others.add(StandardForms.serialize(java.math.BigInteger.TEN));
        for (Object v : List.of(new byte[] {1, 2, 3}, 42, 42L, "abc")) {
            byte[] s = StandardForms.serialize(v);
            others.add(java.util.Arrays.copyOf(s, s.length - 1));  // cut short
            others.add(java.util.Arrays.copyOf(s, s.length + 1));  // a byte too many
            byte[] badMagic = s.clone();
            badMagic[0] = 0;
            others.add(badMagic);
        }
        byte[] forged = StandardForms.serialize(new byte[] {1, 2, 3});
        forged[forged.length - 4] = 0x7F;                            // declares a far longer array
        others.add(forged);
        for (byte[] b : others) {
            assertNull(forms.decode(b, Long.MAX_VALUE), java.util.Arrays.toString(java.util.Arrays.copyOf(b, Math.min(b.length, 24))));
        }
        assertNull(forms.decode(new byte[0], Long.MAX_VALUE));
        assertNull(forms.decode(new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5}, Long.MAX_VALUE));
    }

    @Test
    void whatThePolicyOrItsLimitsWouldRefuseIsLeftToTheStream() {
        StandardForms noBoxes = new StandardForms(Long.MAX_VALUE, false, false);
        assertNull(noBoxes.decode(StandardForms.serialize(42), Long.MAX_VALUE));
        assertNull(noBoxes.decode(StandardForms.serialize(42L), Long.MAX_VALUE));
        assertNull(new StandardForms(Long.MAX_VALUE, true, true).decode(StandardForms.serialize(new byte[100]), 99));
    }

    @Test
    void theCodecReadsEveryValueAsBeforeAndStillRefusesWhatThePolicyLimits() throws Exception {
        AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());
        for (Object value : values()) {
            byte[] encoded = codec.encode("a", value);
            assertEquals(describe(readWithStream(encoded)), describe(codec.decode("a", encoded, getClass().getClassLoader())));
        }
        AttributeCodec short99 = new AttributeCodec(DeserializationPolicy.parse("maxarray=99"));
        UnreadableAttributeException e = assertThrows(UnreadableAttributeException.class,
                () -> short99.decode("b", StandardForms.serialize(new byte[100]), getClass().getClassLoader()));
        assertEquals(UnreadableAttributeException.Reason.REJECTED_BY_FILTER, e.reason());
    }

    @Test
    void theCodecTellsAdaptersWhichClassesItReadsWithoutAStream() {
        AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());
        // Another test of this JVM may have set the JVM-wide filter (it can be set once): then nothing is.
        boolean jvmWide = java.io.ObjectInputFilter.Config.getSerialFilter() != null;
        for (Class<?> c : List.of(byte[].class, String.class, Integer.class, Long.class)) {
            assertEquals(!jvmWide, codec.readsWithoutStream(c), c.getName());
        }
        for (Class<?> c : List.<Class<?>>of(Short.class, Number.class, Object.class, int[].class, ArrayList.class)) {
            assertEquals(false, codec.readsWithoutStream(c), c.getName());
        }
        StandardForms noBoxes = new StandardForms(Long.MAX_VALUE, false, false);
        assertEquals(List.of(true, true, false, false), List.of(noBoxes.reads(byte[].class), noBoxes.reads(String.class),
                noBoxes.reads(Integer.class), noBoxes.reads(Long.class)));
    }

    @Test
    void limitsTheStreamWouldExceedStillRefuseAsItDoes() throws Exception {
        AttributeCodec plain = new AttributeCodec(DeserializationPolicy.defaults());
        ClassLoader loader = getClass().getClassLoader();
        int refused = 0;
        for (String spec : List.of("maxrefs=1", "maxrefs=2", "maxrefs=3", "maxdepth=1", "maxdepth=2")) {
            AttributeCodec codec = new AttributeCodec(DeserializationPolicy.parse(spec));
            for (Object value : List.of(new byte[] {1, 2}, new byte[0], "ab", "", 5, 7L)) {
                byte[] bytes = plain.encode("a", value);
                // The stream's answer: an ObjectInputStream with the codec's own filter.
                boolean streamRefuses;
                try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes))) {
                    in.setObjectInputFilter(codec.streamFilter("a", bytes.length, loader));
                    in.readObject();
                    streamRefuses = false;
                } catch (java.io.InvalidClassException e) {
                    streamRefuses = true;
                }
                refused += streamRefuses ? 1 : 0;
                if (streamRefuses) {
                    UnreadableAttributeException e = assertThrows(UnreadableAttributeException.class,
                            () -> codec.decode("a", bytes, loader), spec + ", " + describe(value));
                    assertEquals(UnreadableAttributeException.Reason.REJECTED_BY_FILTER, e.reason());
                } else {
                    assertEquals(describe(value), describe(codec.decode("a", bytes, loader)), spec);
                }
            }
        }
        assertTrue(refused >= 4, "the stream refused only " + refused + " reads: the test proves little");
    }

    private static Object readWithStream(byte[] stream) throws Exception {
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(stream))) {
            return in.readObject();
        }
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
