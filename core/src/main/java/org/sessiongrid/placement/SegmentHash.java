package org.sessiongrid.placement;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Maps session ids to segments.
 *
 * <p>The hash is MurmurHash3 x86_32 over the UTF-8 bytes of the id without its route suffix, so
 * every node, whatever its JVM or platform charset, finds the same segment, and a route rewrite
 * after failover never moves a session to another segment.
 */
public final class SegmentHash {

    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;

    private SegmentHash() {
    }

    /**
     * MurmurHash3 x86_32 (Austin Appleby's reference algorithm, little-endian blocks).
     *
     * @param data bytes to hash
     * @param seed seed
     * @return the 32-bit hash
     */
    public static int murmur3_32(byte[] data, int seed) {
        Objects.requireNonNull(data, "data");
        int h = seed;
        int length = data.length;
        int blockEnd = length & ~3;
        for (int i = 0; i < blockEnd; i += 4) {
            int k = (data[i] & 0xff)
                    | (data[i + 1] & 0xff) << 8
                    | (data[i + 2] & 0xff) << 16
                    | (data[i + 3] & 0xff) << 24;
            h ^= mixKey(k);
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        int tail = length & 3;
        if (tail > 0) {
            int k = 0;
            if (tail == 3) {
                k ^= (data[blockEnd + 2] & 0xff) << 16;
            }
            if (tail >= 2) {
                k ^= (data[blockEnd + 1] & 0xff) << 8;
            }
            k ^= data[blockEnd] & 0xff;
            h ^= mixKey(k);
        }
        h ^= length;
        return finalMix(h);
    }

    /**
     * The segment of a session id.
     *
     * @param sessionIdWithoutRoute the session id with any route suffix already removed (see
     *                              {@link #stripRoute(String)})
     * @param numSegments           number of segments of the cluster, at least 1
     * @return {@code (murmur3_32(utf8(id), 0) & 0x7fffffff) % numSegments}
     */
    public static int segmentOf(String sessionIdWithoutRoute, int numSegments) {
        Objects.requireNonNull(sessionIdWithoutRoute, "sessionIdWithoutRoute");
        if (numSegments < 1) {
            throw new IllegalArgumentException("numSegments must be at least 1: " + numSegments);
        }
        int h = isAscii(sessionIdWithoutRoute) ? murmur3_32Ascii(sessionIdWithoutRoute)
                : murmur3_32(sessionIdWithoutRoute.getBytes(StandardCharsets.UTF_8), 0);
        return (h & 0x7fffffff) % numSegments;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #murmur3_32} with seed 0 over an ASCII string's UTF-8 bytes, which are its chars: every
     * store operation finds its segment, and encoding the id first was an array per look-up.
     */
    private static int murmur3_32Ascii(String s) {
        int h = 0;
        int length = s.length();
        int blockEnd = length & ~3;
        for (int i = 0; i < blockEnd; i += 4) {
            int k = s.charAt(i) | s.charAt(i + 1) << 8 | s.charAt(i + 2) << 16 | s.charAt(i + 3) << 24;
            h ^= mixKey(k);
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        int tail = length & 3;
        if (tail > 0) {
            int k = 0;
            if (tail == 3) {
                k ^= s.charAt(blockEnd + 2) << 16;
            }
            if (tail >= 2) {
                k ^= s.charAt(blockEnd + 1) << 8;
            }
            k ^= s.charAt(blockEnd);
            h ^= mixKey(k);
        }
        h ^= length;
        return finalMix(h);
    }

    /**
     * Removes a {@code .route} suffix: everything from the first {@code '.'}.
     *
     * @param sessionId a session id as the container presents it
     * @return the id without route; the same string when it has no {@code '.'}
     */
    public static String stripRoute(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        int dot = sessionId.indexOf('.');
        return dot < 0 ? sessionId : sessionId.substring(0, dot);
    }

    /** Hash of an int (its 4 little-endian bytes), for placement's deterministic tie-breaks. */
    static int hashInt(int value, int seed) {
        int h = seed ^ mixKey(value);
        h = Integer.rotateLeft(h, 13);
        h = h * 5 + 0xe6546b64;
        return finalMix(h ^ 4);
    }

    private static int mixKey(int k) {
        k *= C1;
        k = Integer.rotateLeft(k, 15);
        return k * C2;
    }

    private static int finalMix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
