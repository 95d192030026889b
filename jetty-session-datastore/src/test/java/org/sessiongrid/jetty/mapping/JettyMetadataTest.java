package org.sessiongrid.jetty.mapping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The Jetty metadata blob is written without a stream for the usual worker names, byte for byte as
 * {@code DataOutputStream} writes it (records written before compare equal, and every reader reads it), and
 * reads back to the same fields.
 */
class JettyMetadataTest {

    @Test
    void theBlobIsTheStreamsBytesAndReadsBack() throws Exception {
        List<String> nodes = Arrays.asList(null, "", "n1", "node-7.example", "\u007f", "x".repeat(300), "caf\u00e9",
                "a\u0000b", "\u20ac");
        long[] times = {0, 1, -1, 1_765_000_000_123L, Long.MIN_VALUE, Long.MAX_VALUE, 255, 256};
        for (String node : nodes) {
            for (long t : times) {
                JettyMetadata md = new JettyMetadata(t, node, 1_800_000, t + 1, t - 1, t ^ 0x5555, t * 3);
                byte[] blob = md.encode();
                assertArrayEquals(md.encodeWithStream(), blob, () -> node + " / " + t);
                assertEquals(md, JettyMetadata.decode(blob), () -> node + " / " + t);
            }
        }
    }
}
