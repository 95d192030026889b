package org.sessiongrid.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sessiongrid.wire.MalformedMessageException.Reason.INVALID_VALUE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.OVERSIZED;
import static org.sessiongrid.wire.MalformedMessageException.Reason.TRAILING_BYTES;
import static org.sessiongrid.wire.MalformedMessageException.Reason.TRUNCATED;
import static org.sessiongrid.wire.MalformedMessageException.Reason.UNKNOWN_TYPE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.WRONG_VERSION;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.JoinRequest;
import org.sessiongrid.wire.GridMessage.ReadReply;
import org.sessiongrid.wire.GridMessage.ReadStatus;
import org.sessiongrid.wire.GridMessage.RebalanceConfirm;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.sessiongrid.wire.GridMessage.Touch;
import org.sessiongrid.wire.GridMessage.TouchBatch;
import org.sessiongrid.wire.MalformedMessageException.Reason;

/**
 * The wire format as a peer relies on it: every message survives encode → decode unchanged, and
 * anything that is not exactly a message of this format version is rejected with
 * {@link MalformedMessageException} and the reason the drop counters use, never with another
 * exception and never after allocating what a length prefix merely claims (DESIGN.md invariant 6).
 */
class WireCodecTest {

    /** The codec as a member configured with maxRecordBytes = the largest sample value uses it. */
    private static final WireCodec CODEC = new WireCodec(WireSamples.LARGEST_VALUE);

    static Stream<Arguments> samples() {
        return WireSamples.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    // ---- round trips ----

    @Test
    void everyMessageTypeHasASample() {
        // A new message type must be added to WireSamples (and so to every test below and the fuzz corpus).
        Set<String> sampled = WireSamples.all().values().stream().map(m -> m.getClass().getName())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> permitted = Arrays.stream(GridMessage.class.getPermittedSubclasses()).map(Class::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(permitted, sampled, "message types with a sample in WireSamples");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everySampleRoundTrips(String label, GridMessage message) throws MalformedMessageException {
        byte[] bytes = CODEC.encode(message);
        WireAssertions.assertSameMessage(CODEC, message, CODEC.decode(bytes));
    }

    @Test
    void everyTypeHasItsOwnCodeAfterMagicAndFormatVersion() {
        Map<Integer, Class<?>> byCode = new HashMap<>();
        for (GridMessage m : WireSamples.all().values()) {
            byte[] b = CODEC.encode(m);
            assertArrayEquals(new byte[] {0x53, 0x47, WireCodec.FORMAT_VERSION}, Arrays.copyOf(b, 3), "header of " + m);
            Class<?> previous = byCode.putIfAbsent(b[3] & 0xff, m.getClass());
            assertTrue(previous == null || previous == m.getClass(),
                    m.getClass().getSimpleName() + " and " + (previous == null ? "" : previous.getSimpleName())
                            + " share type code " + (b[3] & 0xff));
        }
    }

    @Test
    void everyEnumValueRoundTrips() throws MalformedMessageException {
        for (CommitKind k : CommitKind.values()) {
            roundTrip(new CommitRequest(1, WireSamples.KEY, k, 0, WireSamples.richDelta(), 1, 1, null, 1));
        }
        for (CommitStatus s : CommitStatus.values()) {
            roundTrip(new CommitReply(s, 3, WireSamples.partialChanges(2, 3)));
        }
        for (ReadStatus s : ReadStatus.values()) {
            roundTrip(new ReadReply(s, null));
        }
        for (Phase p : Phase.values()) {
            roundTrip(new TopologyStatus(p == Phase.NONE ? WireSamples.stableTopology()
                    : WireSamples.rebalancingTopology(p), true, 64, 3, p == Phase.NONE));
        }
    }

    @Test
    void extremeNumbersRoundTrip() throws MalformedMessageException {
        roundTrip(new JoinRequest(Integer.MAX_VALUE, 0));
        roundTrip(new Retry(Long.MIN_VALUE));
        roundTrip(new RebalanceConfirm(-1));
        roundTrip(new StateRequest(Long.MAX_VALUE, Integer.MAX_VALUE, WireSamples.KEY, 0));
        roundTrip(new TouchBatch(List.of(new Touch(WireSamples.KEY, Long.MIN_VALUE)), false));
        roundTrip(new CommitRequest(Long.MIN_VALUE, WireSamples.KEY, CommitKind.UPDATE, Long.MAX_VALUE,
                SessionDelta.builder().maxInactiveInterval(Integer.MIN_VALUE).lastAccessedTime(Long.MAX_VALUE).build(),
                Integer.MAX_VALUE, Long.MIN_VALUE, "", Long.MIN_VALUE));
        roundTrip(new Failure(""));
    }

    @Test
    void valueAtTheLimitIsAcceptedAndOneByteMoreIsOversized() throws MalformedMessageException {
        // The samples hold a value of exactly LARGEST_VALUE bytes.
        byte[] bytes = CODEC.encode(WireSamples.all().get("ReadReply-whole"));
        CODEC.decode(bytes);
        assertRejected(new WireCodec(WireSamples.LARGEST_VALUE - 1), bytes, OVERSIZED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void aMessageDecodesInPlaceInsideALargerBuffer(String label, GridMessage message) throws MalformedMessageException {
        // What a receiver gets from JGroups: the message as a part of an array, between other bytes.
        byte[] bytes = CODEC.encode(message);
        byte[] buffer = new byte[bytes.length + 20];
        Arrays.fill(buffer, (byte) 0x5a);
        System.arraycopy(bytes, 0, buffer, 7, bytes.length);
        WireAssertions.assertSameMessage(CODEC, message, CODEC.decode(buffer, 7, bytes.length));
        // The bounds are the message's: the bytes around it are neither read as its end nor as its rest.
        assertThrows(MalformedMessageException.class, () -> CODEC.decode(buffer, 7, bytes.length - 1));
        assertThrows(MalformedMessageException.class, () -> CODEC.decode(buffer, 7, bytes.length + 1));
        assertThrows(IndexOutOfBoundsException.class, () -> CODEC.decode(buffer, 7, buffer.length));
    }

    @Test
    void stringsAreStrictUtf8() throws MalformedMessageException {
        // One, two, three and four bytes per code point, and their mixes: byte for byte what the JDK's
        // UTF-8 encoder writes, behind the length prefix.
        for (String s : List.of("", "plain ascii", "caf\u00e9 \u00fc\u00f1\u00ef", "\u20ac \u65e5\u672c \uffff",
                "\uD83D\uDE00 \uD800\uDC00 \uDBFF\uDFFF", "a\u00e9\u20ac\uD83D\uDE00z", "\u0080\u07ff\u0800")) {
            byte[] expected = craft(32, w -> w.bytes(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertArrayEquals(expected, CODEC.encode(new Failure(s)), s);
            assertEquals(s, ((Failure) CODEC.decode(expected)).message());
        }
    }

    @Test
    void unpairedSurrogatesAreRefusedByTheSender() {
        // A strict decoder would reject them as malformed: better to name the culprit where it is made.
        for (String s : List.of("a\uD800b", "\uDC00", "end\uD83D", "\uDE00\uD83D")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CODEC.encode(new Failure(s)), s);
            assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
        }
    }

    private static void roundTrip(GridMessage m) throws MalformedMessageException {
        WireAssertions.assertSameMessage(CODEC, m, CODEC.decode(CODEC.encode(m)));
    }

    // ---- rejections ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyStrictPrefixIsTruncated(String label, GridMessage message) {
        byte[] bytes = CODEC.encode(message);
        for (int n = 0; n < bytes.length; n++) {
            // Every field is mandatory, so a cut anywhere leaves the decoder short of bytes.
            assertRejected(CODEC, Arrays.copyOf(bytes, n), TRUNCATED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void anyTrailingByteIsRejected(String label, GridMessage message) {
        byte[] bytes = CODEC.encode(message);
        assertRejected(CODEC, Arrays.copyOf(bytes, bytes.length + 1), TRAILING_BYTES);
        // A second message glued behind the first is no better.
        byte[] twice = Arrays.copyOf(bytes, bytes.length * 2);
        System.arraycopy(bytes, 0, twice, bytes.length, bytes.length);
        assertRejected(CODEC, twice, TRAILING_BYTES);
    }

    @Test
    void nullAndEmptyInputsAreTruncated() {
        assertRejected(CODEC, null, TRUNCATED);
        assertRejected(CODEC, new byte[0], TRUNCATED);
    }

    @Test
    void otherMagicOrFormatVersionIsWrongVersion() {
        byte[] valid = CODEC.encode(WireSamples.all().get("CommitRequest-update"));
        for (int i = 0; i < 2; i++) {
            byte[] b = valid.clone();
            b[i] ^= 0x01;
            assertRejected(CODEC, b, WRONG_VERSION);
        }
        for (int version : new int[] {0, WireCodec.FORMAT_VERSION + 1, 0xff}) {
            byte[] b = valid.clone();
            b[2] = (byte) version;
            assertRejected(CODEC, b, WRONG_VERSION);
        }
        // What a peer that used Java serialization would send.
        assertRejected(CODEC, new byte[] {(byte) 0xac, (byte) 0xed, 0x00, 0x05, 0x73, 0x72}, WRONG_VERSION);
    }

    @Test
    void everyUnassignedTypeCodeIsUnknownType() {
        Set<Integer> known = WireSamples.all().values().stream().map(m -> CODEC.encode(m)[3] & 0xff)
                .collect(Collectors.toSet());
        for (int type = 0; type < 256; type++) {
            if (!known.contains(type)) {
                assertRejected(CODEC, new byte[] {0x53, 0x47, WireCodec.FORMAT_VERSION, (byte) type, 0, 0, 0, 0},
                        UNKNOWN_TYPE);
            }
        }
    }

    @Test
    void aValueLongerThanMaxValueBytesIsOversizedAndNotAllocated() {
        // A commit whose only attribute claims 2 GiB - 1 bytes, in a 50-byte message: the decoder must
        // compare the claim with its limit, and with what the message holds, before allocating.
        byte[] msg = craft(10, w -> {
            w.i64(1);
            w.string("n");
            w.string("i");
            w.u8(CommitKind.UPDATE.ordinal());
            w.i64(0);
            w.i64(SessionDelta.UNCHANGED);
            w.i64(SessionDelta.UNCHANGED);
            w.i64(SessionDelta.UNCHANGED);
            w.bool(false);
            w.varint(1); // one attribute set
            w.string("a");
            w.varint(Integer.MAX_VALUE); // its value's length
        });
        assertRejected(CODEC, msg, OVERSIZED);
        assertAllocatesLittle(CODEC, msg);
        // With a limit that allows the claim, the claim is checked against what the message holds.
        WireCodec unlimited = new WireCodec(Integer.MAX_VALUE);
        assertRejected(unlimited, msg, TRUNCATED);
        assertAllocatesLittle(unlimited, msg);

        byte[] failure20 = concat(craft(32, w -> w.varint(Integer.MAX_VALUE)), new byte[11]);
        assertEquals(20, failure20.length);
        assertRejected(unlimited, failure20, OVERSIZED); // strings have their own 64 KiB limit
        assertAllocatesLittle(unlimited, failure20);
    }

    @Test
    void containerDataLongerThanMaxValueBytesIsOversized() {
        byte[] msg = CODEC.encode(WireSamples.all().get("CommitRequest-update"));
        // richDelta() carries 64 bytes of container data.
        assertRejected(new WireCodec(63), msg, OVERSIZED);
    }

    @Test
    void stringJustOverItsLimitIsOversized() throws MalformedMessageException {
        String max = "x".repeat(WireReader.MAX_STRING_BYTES);
        roundTrip(new GridMessage.ListSessions(max, true));
        // The writer refuses to produce what the reader would reject, so craft the bytes by hand.
        byte[] over = craft(22, w -> {
            w.bytes(("x".repeat(WireReader.MAX_STRING_BYTES) + "y").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            w.bool(true);
        });
        assertRejected(CODEC, over, OVERSIZED);
        assertThrows(IllegalArgumentException.class, () -> CODEC.encode(new GridMessage.ListSessions(max + "y", true)));
        // Failure messages are cut to a readable length instead, so an explanation always travels.
        assertTrue(((Failure) CODEC.decode(CODEC.encode(new Failure(max + "y")))).message().length() < 10_000);
    }

    @Test
    void invalidUtf8IsInvalidValue() {
        byte[][] invalid = {
            {(byte) 0xc3, 0x28},                    // a lead byte followed by no continuation
            {(byte) 0xff},                          // never valid in UTF-8
            {(byte) 0xc0, (byte) 0xaf},             // overlong '/'
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a UTF-16 surrogate
            {(byte) 0xf0, (byte) 0x9f, (byte) 0x98}, // a 4-byte sequence cut short
        };
        for (byte[] s : invalid) {
            byte[] msg = craft(32, w -> w.bytes(s));
            assertRejected(CODEC, msg, INVALID_VALUE);
        }
        // The same in a session id, deeper in a message.
        assertRejected(CODEC, craft(12, w -> {
            w.i64(1);
            w.string("ns");
            w.bytes(new byte[] {'a', (byte) 0x80});
            w.i64(0);
        }), INVALID_VALUE);
    }

    @Test
    void countsThatCannotFitAreRejectedBeforeAllocation() {
        // 1000 touches of at least 10 bytes each cannot fit in the 3 bytes that follow.
        byte[] touches = craft(18, w -> {
            w.varint(1000);
            w.u8(0);
            w.u8(0);
            w.u8(0);
        });
        assertRejected(CODEC, touches, TRUNCATED);
        // Beyond the hard limit, whatever follows.
        assertRejected(CODEC, craft(18, w -> w.varint((1 << 20) + 1)), OVERSIZED);
        // A state chunk claiming 65,536 records (the most a chunk may hold), in 9 bytes.
        byte[] chunk = craft(17, w -> w.varint(1 << 16));
        assertRejected(CODEC, chunk, TRUNCATED);
        assertRejected(CODEC, craft(17, w -> w.varint((1 << 16) + 1)), OVERSIZED);
        assertAllocatesLittle(CODEC, chunk);
        // An owner table claiming the maximum number of members and segments.
        byte[] table = craft(4, w -> {
            w.i64(1);
            w.u8(Phase.NONE.ordinal());
            w.varint(3);
            w.varint(65_536);
        });
        assertRejected(CODEC, table, TRUNCATED);
        assertAllocatesLittle(CODEC, table);
    }

    @Test
    void malformedNumbersAreInvalidValue() {
        // A varint longer than 5 bytes, and one beyond the int range.
        assertRejected(CODEC, craft(1, w -> {
            for (int i = 0; i < 6; i++) {
                w.u8(0x80);
            }
            w.u8(0);
        }), INVALID_VALUE);
        assertRejected(CODEC, new byte[] {0x53, 0x47, 1, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0},
                INVALID_VALUE);
        // A boolean byte other than 0 or 1.
        assertRejected(CODEC, craft(15, w -> w.u8(2)), INVALID_VALUE);
        // An enum ordinal out of range.
        assertRejected(CODEC, craft(11, w -> {
            w.u8(CommitStatus.values().length);
            w.i64(1);
            w.bool(false);
        }), INVALID_VALUE);
        // A delta's maxInactiveInterval outside the int range.
        assertRejected(CODEC, craft(10, w -> {
            w.i64(1);
            w.string("n");
            w.string("i");
            w.u8(CommitKind.UPDATE.ordinal());
            w.i64(0);
            w.i64(SessionDelta.UNCHANGED);
            w.i64(SessionDelta.UNCHANGED);
            w.i64(1L << 40);
            w.bool(false);
            w.varint(0);
            w.varint(0);
            w.varint(0);
            w.i64(0);
            w.bool(false);
            w.i64(0);
        }), INVALID_VALUE);
    }

    @Test
    void valuesThatBreakAnInvariantOfTheirTypeAreInvalidValue() {
        // Empty session id (SessionKey refuses it).
        assertRejected(CODEC, craft(12, w -> {
            w.i64(1);
            w.string("ns");
            w.string("");
            w.i64(0);
        }), INVALID_VALUE);
        // Changes that go backwards: base version 9, version 9.
        assertRejected(CODEC, craft(14, w -> {
            w.i64(1);
            w.string("ns");
            w.string("id");
            w.i64(9);
            w.i64(9);
        }), INVALID_VALUE);
        // A topology whose id is 0, and an owner table naming member index 5 of 1, and one without segments.
        assertRejected(CODEC, topology(0, 0, 1, 0), INVALID_VALUE);
        assertRejected(CODEC, topology(1, 0, 1, 5), INVALID_VALUE);
        assertRejected(CODEC, craft(4, w -> {
            w.i64(1);
            w.u8(Phase.NONE.ordinal());
            w.varint(1);
            w.varint(1);
            w.string("m");
            w.bool(false);
            w.bool(false);
            w.bool(false);
            w.bool(false);
            w.varint(0);
        }), INVALID_VALUE);
        // Members not sorted by id.
        assertRejected(CODEC, craft(4, w -> {
            w.i64(1);
            w.u8(Phase.NONE.ordinal());
            w.varint(1);
            w.varint(2);
            for (String id : List.of("b", "a")) {
                w.string(id);
                w.bool(false);
                w.bool(false);
                w.bool(false);
                w.bool(false);
            }
            w.varint(1);
            w.varint(1);
            w.varint(0);
        }), INVALID_VALUE);
        // A digest whose keys do not ascend: the source's walk relies on the order.
        assertRejected(CODEC, craft(25, w -> {
            w.i64(1);
            w.varint(0);
            w.bool(false);
            w.varint(10);
            w.varint(2);
            for (String id : List.of("b", "a")) {
                w.string("ns");
                w.string(id);
                w.i64(1);
                w.i64(1);
                w.i64(0);
            }
            w.bool(false);
        }), INVALID_VALUE);
    }

    /** A TopologyUpdate with one member and one segment owned by {@code owner}. */
    private static byte[] topology(long id, int phase, int owners, int owner) {
        return craft(4, w -> {
            w.i64(id);
            w.u8(phase);
            w.varint(1);
            w.varint(1);
            w.string("m");
            w.bool(false);
            w.bool(false);
            w.bool(false);
            w.bool(false);
            w.varint(1);
            w.varint(owners);
            w.varint(owner);
        });
    }

    // ---- random input ----

    @Test
    void seededRandomBytesAreDecodedOrRejected() {
        Random random = new Random(0x5e55_1011L);
        List<Integer> types = WireSamples.all().values().stream().map(m -> CODEC.encode(m)[3] & 0xff).distinct()
                .toList();
        Map<String, Integer> outcomes = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            byte[] b = new byte[random.nextInt(i % 2 == 0 ? 16 : 300)];
            random.nextBytes(b);
            if (i % 2 == 1 && b.length >= 4) {
                // Half with a valid header and type, so that the bytes reach the field decoders.
                b[0] = 0x53;
                b[1] = 0x47;
                b[2] = WireCodec.FORMAT_VERSION;
                b[3] = (byte) (int) types.get(random.nextInt(types.size()));
            }
            outcomes.merge(decodeOrReject(CODEC, b), 1, Integer::sum);
        }
        assertTrue(outcomes.size() >= 4, "random input reached only " + outcomes);
    }

    @Test
    void seededMutationsOfValidMessagesAreDecodedOrRejected() {
        Random random = new Random(0xfeed_beefL);
        List<byte[]> valid = WireSamples.all().values().stream().map(CODEC::encode).toList();
        Map<String, Integer> outcomes = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            byte[] b = Mutator.mutate(valid.get(random.nextInt(valid.size())), random);
            outcomes.merge(decodeOrReject(CODEC, b), 1, Integer::sum);
        }
        // The mutations must reach the field decoders, not only the header check, and some must
        // still decode (to exercise the re-encode check in decodeOrReject).
        for (String expected : List.of("decoded", TRUNCATED.name(), INVALID_VALUE.name(), TRAILING_BYTES.name())) {
            assertTrue(outcomes.getOrDefault(expected, 0) > 0, "no mutation ended as " + expected + ": " + outcomes);
        }
    }

    /**
     * Decodes {@code b}; a message that decodes must encode and decode again to the same message. Any
     * exception other than MalformedMessageException fails, naming the input.
     *
     * @return "decoded" or the rejection reason
     */
    static String decodeOrReject(WireCodec codec, byte[] b) {
        GridMessage m;
        try {
            m = codec.decode(b);
        } catch (MalformedMessageException e) {
            return e.reason().name();
        } catch (Throwable t) {
            throw new AssertionError("decode threw " + t + " for input " + WireAssertions.hex(b), t);
        }
        byte[] again;
        try {
            again = codec.encode(m);
            WireAssertions.assertSameMessage(codec, m, codec.decode(again));
        } catch (Throwable t) {
            throw new AssertionError("a message decoded from " + WireAssertions.hex(b) + " (" + m
                    + ") does not survive encode/decode: " + t, t);
        }
        return "decoded";
    }

    // ---- helpers ----

    private static void assertRejected(WireCodec codec, byte[] bytes, Reason reason) {
        MalformedMessageException e;
        try {
            codec.decode(bytes);
            throw new AssertionError("accepted " + (bytes == null ? "null" : WireAssertions.hex(bytes)));
        } catch (MalformedMessageException ex) {
            e = ex;
        } catch (RuntimeException | Error ex) {
            throw new AssertionError("decode threw " + ex + " instead of MalformedMessageException for "
                    + WireAssertions.hex(bytes), ex);
        }
        assertEquals(reason, e.reason(), () -> "reason for " + (bytes == null ? "null" : WireAssertions.hex(bytes))
                + ": " + e.getMessage());
        assertNotNull(e.getMessage(), "a rejection explains itself");
    }

    /** Decoding {@code bytes} allocates far less than any length it claims (a few KiB of bookkeeping). */
    private static void assertAllocatesLittle(WireCodec codec, byte[] bytes) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // Warm up first, so that class loading does not count.
        for (int i = 0; i < 3; i++) {
            decodeOrReject(codec, bytes);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        decodeOrReject(codec, bytes);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 64 * 1024, "decoding " + bytes.length + " bytes allocated " + allocated + " bytes");
    }

    private static byte[] craft(int type, Consumer<WireWriter> fields) {
        return concat(new byte[] {0x53, 0x47, WireCodec.FORMAT_VERSION, (byte) type}, body(fields));
    }

    private static byte[] body(Consumer<WireWriter> fields) {
        WireWriter w = new WireWriter(64);
        fields.accept(w);
        return w.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
