package org.sessiongrid.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.sessiongrid.codec.AttributeCodecTest.Customer;
import org.sessiongrid.codec.AttributeCodecTest.Plan;
import org.sessiongrid.codec.UnreadableAttributeException.Reason;

/** Malformed input must always end in UnreadableAttributeException: never another exception, never an Error. */
class AttributeCodecCorruptionTest {

    private static final ClassLoader LOADER = AttributeCodecCorruptionTest.class.getClassLoader();

    private final AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());

    private Reason reasonFor(byte[] bytes) {
        return assertThrows(UnreadableAttributeException.class, () -> codec.decode("attr", bytes, LOADER)).reason();
    }

    private static Object sample() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", "Ada");
        value.put("count", 42);
        value.put("big", 1L << 40);
        value.put("price", new BigDecimal("12.50"));
        value.put("when", Instant.ofEpochSecond(1_700_000_000L));
        value.put("plan", Plan.GOLD);
        value.put("customers", new ArrayList<>(List.of(new Customer("a", 1), new Customer("b", 2))));
        value.put("bytes", new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        value.put("ints", new int[] {1, 2, 3});
        value.put("sorted", new TreeMap<>(Map.of("x", List.of(1, 2), "y", List.of())));
        value.put("strings", new String[] {"p", "q"});
        return value;
    }

    @Test
    void truncatedEncodingIsCorrupt() {
        byte[] valid = codec.encode("attr", sample());
        for (int length = 0; length < valid.length; length++) {
            byte[] prefix = Arrays.copyOf(valid, length);
            assertEquals(Reason.CORRUPT, reasonFor(prefix), "prefix of " + length + " bytes");
        }
    }

    @Test
    void randomBytesAreCorrupt() {
        Random random = new Random(7);
        for (int i = 0; i < 50; i++) {
            byte[] junk = new byte[1 + random.nextInt(200)];
            random.nextBytes(junk);
            assertEquals(Reason.CORRUPT, reasonFor(junk));
        }
    }

    @Test
    void trailingBytesAreCorrupt() {
        byte[] valid = codec.encode("attr", "value");
        byte[] withGarbage = Arrays.copyOf(valid, valid.length + 3);
        var e = assertThrows(UnreadableAttributeException.class, () -> codec.decode("attr", withGarbage, LOADER));
        assertEquals(Reason.CORRUPT, e.reason());
        assertTrue(e.getMessage().contains("3 unexpected bytes follow the serialized object"), e.getMessage());

        // A second object appended after the first is just as wrong.
        byte[] second = codec.encode("attr", "other");
        byte[] twoObjects = Arrays.copyOf(valid, valid.length + second.length - 4);
        System.arraycopy(second, 4, twoObjects, valid.length, second.length - 4);
        assertEquals(Reason.CORRUPT, reasonFor(twoObjects));
    }

    @Test
    void graphTooDeepForTheStackIsReportedNotThrownAsError() throws Exception {
        List<Object> root = new ArrayList<>();
        List<Object> current = root;
        for (int i = 1; i < 5_000; i++) {
            List<Object> next = new ArrayList<>();
            current.add(next);
            current = next;
        }
        var deepAllowed = new AttributeCodec(DeserializationPolicy.parse("maxdepth=100000"));
        byte[] bytes = onThreadWithStack(64L << 20, () -> deepAllowed.encode("deep", root));

        Throwable thrown = onThreadWithStack(256L << 10, () -> {
            try {
                deepAllowed.decode("deep", bytes, LOADER);
                return null;
            } catch (UnreadableAttributeException e) {
                return e;
            }
        });
        var e = (UnreadableAttributeException) thrown;
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("nested too deeply for this thread's stack"), e.getMessage());

        Throwable encodeFailure = onThreadWithStack(256L << 10, () -> {
            try {
                deepAllowed.encode("deep", root);
                return null;
            } catch (AttributeEncodingException ex) {
                return ex;
            }
        });
        assertTrue(encodeFailure.getMessage().contains("attribute 'deep' (java.util.ArrayList) is nested too deeply"),
                encodeFailure.getMessage());
    }

    private static <T> T onThreadWithStack(long stackBytes, java.util.concurrent.Callable<T> task) throws Exception {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = new Thread(null, () -> {
            try {
                result[0] = task.call();
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "stack-" + stackBytes, stackBytes);
        thread.start();
        thread.join();
        if (failure[0] != null) {
            fail("unexpected " + failure[0], failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    @Test
    void randomMutationsNeverEscapeAsAnythingElse() {
        byte[] valid = codec.encode("attr", sample());
        List<String> failures = new ArrayList<>();
        int[] decoded = new int[1];

        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int i = 0; i < 2_000; i++) {
                Random random = new Random(1_000 + i);
                byte[] mutated = mutate(valid, random);
                try {
                    codec.decode("attr", mutated, LOADER);
                    decoded[0]++;
                } catch (UnreadableAttributeException expected) {
                    // the only acceptable failure
                } catch (Throwable t) { // including StackOverflowError and OutOfMemoryError
                    failures.add("mutation #" + i + " (seed " + (1_000 + i) + "): " + t);
                }
            }
        });

        if (!failures.isEmpty()) {
            fail(failures.size() + " mutations escaped as something other than UnreadableAttributeException:\n"
                    + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
        }
        assertTrue(decoded[0] < 2_000, "no mutation was detected at all; the mutator is broken");
    }

    private static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        switch (random.nextInt(6)) {
            case 0 -> { // flip a few bits
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> { // overwrite bytes with random values
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 2 -> { // plant a stream token or an extreme value
                byte[] interesting = {0x00, 0x7f, (byte) 0x80, (byte) 0xff, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75,
                        0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e};
                b[random.nextInt(b.length)] = interesting[random.nextInt(interesting.length)];
            }
            case 3 -> { // delete a range
                int from = random.nextInt(b.length);
                int to = Math.min(b.length, from + 1 + random.nextInt(16));
                byte[] shorter = new byte[b.length - (to - from)];
                System.arraycopy(b, 0, shorter, 0, from);
                System.arraycopy(b, to, shorter, from, b.length - to);
                b = shorter;
            }
            case 4 -> { // insert random bytes
                int at = random.nextInt(b.length + 1);
                byte[] extra = new byte[1 + random.nextInt(8)];
                random.nextBytes(extra);
                byte[] longer = new byte[b.length + extra.length];
                System.arraycopy(b, 0, longer, 0, at);
                System.arraycopy(extra, 0, longer, at, extra.length);
                System.arraycopy(b, at, longer, at + extra.length, b.length - at);
                b = longer;
            }
            default -> { // duplicate a range in place of another
                int from = random.nextInt(b.length);
                int len = Math.min(b.length - from, 1 + random.nextInt(32));
                int to = random.nextInt(b.length - len + 1);
                System.arraycopy(valid, from, b, to, len);
            }
        }
        return b;
    }
}
