package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SegmentHashTest {

    private static int hash(String text, int seed) {
        return SegmentHash.murmur3_32(text.getBytes(StandardCharsets.UTF_8), seed);
    }

    /**
     * Published MurmurHash3 x86_32 vectors (the SMHasher-derived list widely reproduced, e.g. on
     * Stack Overflow "MurmurHash3 test vectors"), each cross-checked against an independent
     * implementation; they cover every tail length (0 to 3 trailing bytes) and several seeds.
     */
    @Test
    void matchesPublishedVectors() {
        assertEquals(0, hash("", 0));
        assertEquals(0x514E28B7, hash("", 1));
        assertEquals(0x81F16F39, hash("", 0xffffffff));
        assertEquals(0x76293B50, SegmentHash.murmur3_32(new byte[] {-1, -1, -1, -1}, 0));
        assertEquals(0xF55B516B, SegmentHash.murmur3_32(new byte[] {0x21, 0x43, 0x65, (byte) 0x87}, 0));
        assertEquals(0x248BFA47, hash("hello", 0));
        assertEquals(0x2E4FF723, hash("The quick brown fox jumps over the lazy dog", 0));
        assertEquals(0xB3DD93FA, hash("abc", 0));
        assertEquals(0x7FA09EA6, hash("a", 0x9747b28c));
        assertEquals(0x74875592, hash("ab", 0x9747b28c));
        assertEquals(0x5A97808A, hash("aaaa", 0x9747b28c));
        assertEquals(0x24884CBA, hash("Hello, world!", 0x9747b28c));
    }

    @Test
    void hashesUtf8Bytes() {
        // "été": 5 UTF-8 bytes; the value comes from the same independent implementation.
        assertEquals(0x3393660F, hash("\u00e9t\u00e9", 0));
    }

    @Test
    void intHashIsMurmurOfLittleEndianBytes() {
        Random random = new Random(7);
        for (int i = 0; i < 1000; i++) {
            int value = random.nextInt();
            int seed = random.nextInt();
            byte[] bytes = {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
            assertEquals(SegmentHash.murmur3_32(bytes, seed), SegmentHash.hashInt(value, seed));
        }
    }

    @Test
    void segmentOfFollowsTheFormula() {
        Random random = new Random(3);
        int[] histogram = new int[1024];
        for (int i = 0; i < 100_000; i++) {
            String id = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
            int segment = SegmentHash.segmentOf(id, 1024);
            assertEquals((hash(id, 0) & 0x7fffffff) % 1024, segment);
            histogram[segment]++;
        }
        for (int count : histogram) {
            assertTrue(count > 40 && count < 170, "segments are roughly uniform: " + count);
        }
        assertEquals((0x248BFA47 & 0x7fffffff) % 7, SegmentHash.segmentOf("hello", 7));
        assertEquals(0, SegmentHash.segmentOf("anything", 1));
        assertThrows(IllegalArgumentException.class, () -> SegmentHash.segmentOf("x", 0));
    }

    @Test
    void idsOfEveryLengthAndCharacterFollowTheFormula() {
        Random random = new Random(5);
        String[] alphabet = {"a", "Z", "0", "-", "_", "\u007f", "\u0080", "é", "\u0800", "€", "\uD83D\uDE00"};
        for (int i = 0; i < 20_000; i++) {
            StringBuilder id = new StringBuilder();
            int n = random.nextInt(14);
            boolean ascii = random.nextBoolean();
            for (int c = 0; c < n; c++) {
                id.append(alphabet[random.nextInt(ascii ? 6 : alphabet.length)]);
            }
            String s = id.toString();
            assertEquals((hash(s, 0) & 0x7fffffff) % 4099, SegmentHash.segmentOf(s, 4099), "id '" + s + "'");
        }
    }

    @Test
    void stripRouteRemovesEverythingFromTheFirstDot() {
        assertEquals("ABC123", SegmentHash.stripRoute("ABC123.node1"));
        assertEquals("ABC123", SegmentHash.stripRoute("ABC123.node1.extra"));
        assertEquals("", SegmentHash.stripRoute(".node1"));
        String plain = "ABC123";
        assertSame(plain, SegmentHash.stripRoute(plain));
        assertEquals("", SegmentHash.stripRoute(""));
        assertEquals(SegmentHash.segmentOf("ABC123", 1024),
                SegmentHash.segmentOf(SegmentHash.stripRoute("ABC123.other-node"), 1024));
    }
}
