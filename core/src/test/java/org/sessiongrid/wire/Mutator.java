package org.sessiongrid.wire;

import java.util.Arrays;
import java.util.Random;

/**
 * Seeded mutations of valid messages, of the kinds that break length-prefixed formats: flipped bits,
 * boundary bytes (0, 1, 0x7f, 0x80, 0xff), inserted, deleted and repeated bytes, cuts. The header is
 * usually kept, so that most mutations reach the field decoders rather than the magic check.
 */
final class Mutator {

    private static final byte[] INTERESTING = {0, 1, 2, 0x7f, (byte) 0x80, (byte) 0xff};

    private Mutator() {
    }

    static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds; r++) {
            b = mutateOnce(b, random);
        }
        if (b.length >= 4 && random.nextInt(10) != 0) {
            System.arraycopy(valid, 0, b, 0, 4);
        }
        return b;
    }

    private static byte[] mutateOnce(byte[] b, Random random) {
        if (b.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int at = random.nextInt(b.length);
        switch (random.nextInt(7)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = INTERESTING[random.nextInt(INTERESTING.length)];
            case 2 -> b[at] = (byte) random.nextInt(256);
            case 3 -> {
                byte[] c = new byte[b.length + 1];
                System.arraycopy(b, 0, c, 0, at);
                c[at] = (byte) random.nextInt(256);
                System.arraycopy(b, at, c, at + 1, b.length - at);
                return c;
            }
            case 4 -> {
                byte[] c = new byte[b.length - 1];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                return c;
            }
            case 5 -> {
                return Arrays.copyOf(b, at);
            }
            default -> {
                // Repeat a slice: duplicated elements and counts that no longer match.
                int len = 1 + random.nextInt(Math.min(32, b.length - at));
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at + len);
                System.arraycopy(b, at, c, at + len, b.length - at);
                return c;
            }
        }
        return b;
    }
}
