package org.sessiongrid.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import javax.management.BadAttributeValueExpException;

import org.junit.jupiter.api.Test;

class AttributeCodecTest {

    private static final ClassLoader LOADER = AttributeCodecTest.class.getClassLoader();

    private final AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());

    private Object roundTrip(Object value) throws UnreadableAttributeException {
        return codec.decode("attr", codec.encode("attr", value), LOADER);
    }

    @Test
    void roundTripsCommonValues() throws Exception {
        Map<String, Object> nested = new HashMap<>();
        nested.put("list", new ArrayList<>(List.of(1, 2, List.of("a", "b"))));
        nested.put("inner", new HashMap<>(Map.of("k", new ArrayList<>(List.of(3L, 4L)))));

        assertEquals("héllo", roundTrip("héllo"));
        assertEquals(42, roundTrip(42));
        assertEquals(nested, roundTrip(nested));
        assertEquals(new Customer("Ada", 36), roundTrip(new Customer("Ada", 36)));
        assertEquals(Plan.GOLD, roundTrip(Plan.GOLD));
        assertNull(roundTrip(null));
        assertEquals(int.class, roundTrip(int.class));
        assertEquals(List.of(1, 2), roundTrip(List.of(1, 2)));
    }

    @Test
    void quarantineReportCarriesTheFailure() {
        var failure = new UnreadableAttributeException("cart", UnreadableAttributeException.Reason.CORRUPT, null,
                "attribute 'cart' could not be deserialized: ...", null);
        var report = QuarantinedAttribute.of("shop", "ABC123", failure);
        assertEquals(new QuarantinedAttribute("shop", "ABC123", "cart", UnreadableAttributeException.Reason.CORRUPT,
                failure.getMessage()), report);
        assertThrows(NullPointerException.class, () -> new QuarantinedAttribute("shop", null, "cart",
                UnreadableAttributeException.Reason.CORRUPT, "m"));
    }

    @Test
    void roundTripsFiveMebibyteByteArray() throws Exception {
        byte[] big = new byte[5 * 1024 * 1024];
        new Random(1).nextBytes(big);
        assertArrayEquals(big, (byte[]) roundTrip(big));
    }

    @Test
    void roundTripsDynamicProxyWithSerializableHandler() throws Exception {
        Greeter greeter = (Greeter) Proxy.newProxyInstance(LOADER, new Class<?>[] {Greeter.class},
                new FixedGreeting("bonjour"));

        Object copy = roundTrip(greeter);

        assertTrue(Proxy.isProxyClass(copy.getClass()));
        assertEquals("bonjour", ((Greeter) copy).greet());
    }

    @Test
    void refusesNonSerializableValueNamingAttributeAndClass() {
        var e = assertThrows(NotSerializableAttributeException.class, () -> codec.encode("thing", new Thing()));

        assertEquals("thing", e.attribute());
        assertEquals(Thing.class.getName(), e.offendingType());
        assertEquals(Thing.class.getName(), e.valueType());
        assertTrue(e.getMessage().contains("attribute 'thing' (" + Thing.class.getName() + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("does not implement java.io.Serializable"), e.getMessage());
    }

    @Test
    void refusesNestedNonSerializableFieldNamingItsPath() {
        Cart cart = new Cart(List.of(new Line(null), new Line(new Thing())));

        var e = assertThrows(NotSerializableAttributeException.class, () -> codec.encode("cart", cart));

        assertEquals(Cart.class.getName(), e.valueType());
        assertEquals(Thing.class.getName(), e.offendingType());
        assertEquals(Optional.of("lines[1].thing"), e.path());
        assertTrue(e.getMessage().startsWith("attribute 'cart' (" + Cart.class.getName() + ") is not serializable: field"
                + " lines[1].thing holds a " + Thing.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains("mark the field transient"), e.getMessage());
        assertTrue(e instanceof IllegalArgumentException);
    }

    @Test
    void refusesNonSerializableMapValue() {
        Map<String, Object> map = new HashMap<>();
        map.put("ok", "fine");
        map.put("bad", new Thing());

        var e = assertThrows(NotSerializableAttributeException.class, () -> codec.encode("prefs", map));

        assertTrue(e.getMessage().contains("attribute 'prefs' (java.util.HashMap)"), e.getMessage());
        assertTrue(e.getMessage().contains("field [value] holds a " + Thing.class.getName()), e.getMessage());
    }

    @Test
    void refusesNonSerializableLambdaWithHint() {
        Runnable task = () -> { };

        var e = assertThrows(NotSerializableAttributeException.class, () -> codec.encode("task", task));

        assertTrue(e.getMessage().contains("lambda"), e.getMessage());
    }

    @Test
    void refusesValueOverMaxBytesNamingSizeLimitAndSetting() {
        var small = new AttributeCodec(DeserializationPolicy.parse("maxbytes=1000"));

        var e = assertThrows(AttributeTooLargeException.class, () -> small.encode("report", new byte[2000]));

        assertEquals(1000, e.limit());
        assertTrue(e.size() > 2000, "size " + e.size());
        assertTrue(e.getMessage().contains("attribute 'report' ([B) is " + e.size() + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("limit of 1000 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("'maxbytes=N' in the deserializationFilter setting"), e.getMessage());
    }

    @Test
    void aSizeHintNeverChangesTheEncoding() throws Exception {
        // Small, around ObjectOutputStream's 1 KiB pieces, and several pieces long.
        for (int items : new int[] {0, 1, 30, 60, 500}) {
            ArrayList<String> cart = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                cart.add("sku-" + i);
            }
            byte[] plain = codec.encode("cart", cart);
            // The previous length (the common hint), guesses too small and too large, and absurd ones.
            for (int hint : new int[] {plain.length, plain.length - 1, plain.length + 1, plain.length / 3,
                    plain.length * 5, 1, -7, Integer.MAX_VALUE}) {
                byte[] hinted = codec.encode("cart", cart, hint);
                assertArrayEquals(plain, hinted, items + " items, hint " + hint);
                assertEquals(plain.length, hinted.length);
            }
            assertEquals(cart, codec.decode("cart", codec.encode("cart", cart, plain.length), LOADER));
        }
        // The size limit holds whatever the hint says.
        var small = new AttributeCodec(DeserializationPolicy.parse("maxbytes=1000"));
        for (int hint : new int[] {2027, 5000, 100}) {
            assertThrows(AttributeTooLargeException.class, () -> small.encode("report", new byte[2000], hint));
        }
    }

    @Test
    void refusesAtEncodeWhatTheOtherNodesWouldReject() {
        var gadget = new BadAttributeValueExpException("harmless");
        var e = assertThrows(AttributeEncodingException.class, () -> codec.encode("x", gadget));
        assertTrue(e.getMessage().contains("would be quarantined"), e.getMessage());
        assertTrue(e.getMessage().contains("javax.management.BadAttributeValueExpException is on SessionGrid's"
                + " built-in deny list"), e.getMessage());

        var strict = new AttributeCodec(DeserializationPolicy.parse("!java.util.HashMap"));
        var nested = new ArrayList<Object>(List.of(new HashMap<>(Map.of("k", "v"))));
        var e2 = assertThrows(AttributeEncodingException.class, () -> strict.encode("list", nested));
        assertTrue(e2.getMessage().contains("class java.util.HashMap is rejected by pattern '!java.util.HashMap'"),
                e2.getMessage());
    }

    @Test
    void reportsFailingWriteObject() {
        var e = assertThrows(AttributeEncodingException.class, () -> codec.encode("w", new ExplodingWriter()));
        assertTrue(e.getMessage().startsWith("attribute 'w' (" + ExplodingWriter.class.getName() + ") could not be"
                + " serialized: java.lang.IllegalStateException: boom"), e.getMessage());
    }

    @Test
    void hashIsEqualForEqualContentAndDiffersOtherwise() {
        byte[] a1 = codec.encode("a", new HashMap<>(Map.of("k", List.of(1, 2, 3))));
        byte[] a2 = codec.encode("a", new HashMap<>(Map.of("k", List.of(1, 2, 3))));
        byte[] b = codec.encode("a", new HashMap<>(Map.of("k", List.of(1, 2, 4))));

        assertEquals(codec.hash(a1), codec.hash(a2));
        assertNotEquals(codec.hash(a1), codec.hash(b));
        byte[] flipped = a1.clone();
        flipped[flipped.length / 2] ^= 1;
        assertNotEquals(codec.hash(a1), codec.hash(flipped));
    }

    @Test
    void hashIsXxh64() {
        // Published XXH64 (seed 0) vectors, covering the <4, <8, <32 and >=32 byte paths.
        assertEquals(0xEF46DB3751D8E999L, hashOf(""));
        assertEquals(0xD24EC4F1A98C6E5BL, hashOf("a"));
        assertEquals(0x44BC2CF5AD770999L, hashOf("abc"));
        assertEquals(0x642A94958E71E6C5L, hashOf("0123456789abcdef0123456789abcdef"));
        assertEquals(0xFBCEA83C8A378BF1L, hashOf("Nobody inspects the spammish repetition"));
        assertEquals(0x0B242D361FDA71BCL, hashOf("The quick brown fox jumps over the lazy dog"));
    }

    private long hashOf(String s) {
        return codec.hash(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void knowsImmutableValues() {
        for (Object v : List.of("s", 1, 1L, (short) 1, (byte) 1, 'c', true, 1.5, 1.5f, BigInteger.ONE,
                BigDecimal.TEN, Instant.EPOCH, LocalDate.of(2024, 1, 1), Duration.ZERO,
                ZoneId.of("Europe/Paris"), ZoneOffset.UTC, UUID.randomUUID(), Locale.GERMANY, Plan.GOLD,
                DayOfWeek.MONDAY)) {
            assertTrue(AttributeCodec.isKnownImmutable(v), () -> v.getClass() + " should be known immutable");
        }
    }

    @Test
    void treatsEverythingElseAsPossiblyMutable() {
        record Pair(List<String> items) { }
        BigInteger subclass = new BigInteger("1") { };
        for (Object v : new Object[] {new ArrayList<>(), new Date(), new StringBuilder(), new Pair(new ArrayList<>()),
                new int[1], subclass, new AtomicInteger(), Optional.of("x"), new Customer("a", 1)}) {
            assertFalse(AttributeCodec.isKnownImmutable(v), () -> v.getClass() + " must not count as immutable");
        }
        assertFalse(AttributeCodec.isKnownImmutable(null));
    }

    public interface Greeter {
        String greet();
    }

    static final class FixedGreeting implements InvocationHandler, Serializable {
        private static final long serialVersionUID = 1L;
        private final String text;

        FixedGreeting(String text) {
            this.text = text;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) {
            return switch (method.getName()) {
                case "hashCode" -> text.hashCode();
                case "equals" -> proxy == args[0];
                default -> text;
            };
        }
    }

    enum Plan { FREE, GOLD }

    static final class Customer implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final int age;

        Customer(String name, int age) {
            this.name = name;
            this.age = age;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Customer c && c.name.equals(name) && c.age == age;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, age);
        }
    }

    static final class Thing {
    }

    static final class Line implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Thing thing;

        Line(Thing thing) {
            this.thing = thing;
        }
    }

    static final class Cart implements Serializable {
        private static final long serialVersionUID = 1L;
        private final List<Line> lines;

        Cart(List<Line> lines) {
            this.lines = new ArrayList<>(lines);
        }
    }

    static final class ExplodingWriter implements Serializable {
        private static final long serialVersionUID = 1L;

        private void writeObject(ObjectOutputStream out) throws IOException {
            throw new IllegalStateException("boom");
        }
    }
}
