package org.sessiongrid.jetty.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.util.ClassLoadingObjectInputStream;
import org.junit.jupiter.api.Test;
import org.sessiongrid.testsupport.files.WorkDirs;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;

/**
 * The Jetty adapter reads byte arrays, ASCII strings, {@code Integer} and {@code Long} values without an
 * {@code ObjectInputStream}: every such stream Jetty writes reads back as Jetty's own stream reads it, anything
 * else is left to the stream (which reads it, or refuses it with the same error as before), and what the policy,
 * its limits or a JVM-wide serial filter refuse is still refused.
 */
class DirectDecodeTest {

    private static final long ANY = Long.MAX_VALUE;
    private static final Predicate<Class<?>> ALL = c -> true;

    /** Names of every length the direct form holds (a short block of data: up to 252 characters), and the empty one. */
    private static List<String> names() {
        return List.of("a", "counter", "payload", "n".repeat(JettyStreamForms.MAX_NAME), "n".repeat(252), "");
    }

    @SuppressWarnings("removal") // new Integer(1): a 1 that is not the count's own object
    private static List<Object> directValues() {
        Random random = new Random(7);
        List<Object> v = new ArrayList<>();
        for (int n : new int[] {0, 1, 2, 255, 1024, 65_536, 100_000}) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            v.add(b);
        }
        for (int i : new int[] {0, 1, -1, 2, 127, 128, 255, 256, 1_000, 65_535, 1 << 24, Integer.MIN_VALUE,
                Integer.MAX_VALUE}) {
            v.add(i);
        }
        v.add(new Integer(1));
        for (long l : new long[] {0, 1, -1, 1L << 40, Long.MIN_VALUE, Long.MAX_VALUE}) {
            v.add(l);
        }
        v.addAll(List.of("", "a", "\u007f", "3f9c2a7e-51b4-4d0e-9a6b-c1d2e3f40516", "x".repeat(65_535)));
        return v;
    }

    private static List<Object> otherValues() {
        return List.of("caf\u00e9", "a\u0000b", "\u20ac", "x".repeat(65_536), (short) 3, (byte) 4, 'c', 2.5d, 2.5f,
                Boolean.TRUE, BigInteger.TEN, new int[] {1, 2}, new long[] {3}, new ArrayList<>(List.of("a", 1)));
    }

    @Test
    void everyDirectFormReadsBackAsJettysStreamReadsItUnderEitherFlag() throws Exception {
        AttributeSerializer serializer = new AttributeSerializer(null);
        Set<String> flags = new HashSet<>();
        for (ClassLoader writer : writerLoaders()) {
            for (String name : names()) {
                for (Object value : directValues()) {
                    byte[] bytes = underLoader(writer, () -> JettyStreamForms.jettyStream(name, value));
                    flags.add(JettyStreamForms.kindOf(value) + " " + bytes[JettyStreamForms.flagOffset(name)]);
                    String what = name.length() + "-character name, " + describe(value) + ", flag "
                            + bytes[JettyStreamForms.flagOffset(name)];
                    Object direct = JettyStreamForms.decode(name, bytes, ANY, ALL);
                    assertNotNull(direct, what);
                    Object jetty = readWithJettysStream(name, bytes);
                    assertEquals(jetty.getClass(), direct.getClass(), what);
                    assertEquals(describe(jetty), describe(direct), what);
                    assertEquals(describe(jetty), describe(serializer.decode(name, bytes)), what);
                }
            }
        }
        // Jetty writes each kind with either flag under one of the loaders: both are read.
        assertEquals(2 * JettyStreamForms.KINDS, flags.size(), "kinds and flags written: " + flags);
    }

    @Test
    void aDirectFormIsReadWithoutAStream() throws Exception {
        AttributeSerializer serializer = new AttributeSerializer(null);
        for (Object value : List.of(1_000, 1, 7L, "user-7", new byte[1024], new byte[0])) {
            byte[] bytes = serializer.encode("a", value);
            // Jetty's stream resolves the count's class, Integer, through the context loader on every read; a
            // loader new to the JVM is asked for it (once it has answered, the JVM remembers the answer).
            CountingLoader fresh = new CountingLoader(getClass().getClassLoader());
            Object back = underLoader(fresh, () -> serializer.decode("a", bytes));
            assertEquals(describe(value), describe(back));
            assertEquals(0, fresh.lookups.get(), describe(value) + ": classes looked up " + fresh.lookups.get());
        }
        // What the probe sees when the stream reads: the same read of a value with no direct form.
        byte[] list = serializer.encode("a", new ArrayList<>(List.of(1)));
        CountingLoader fresh = new CountingLoader(getClass().getClassLoader());
        underLoader(fresh, () -> serializer.decode("a", list));
        assertTrue(fresh.lookups.get() > 0, "the stream resolved no class through the context loader");
    }

    /** Bytes read as attribute {@code name}. */
    private record Case(String name, byte[] bytes) {
        Case(byte[] bytes) {
            this("a", bytes);
        }

        @Override
        public String toString() {
            return "'" + (name.length() > 20 ? name.substring(0, 20) + "..." : name) + "' = "
                    + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 120))) + " (" + bytes.length + " bytes)";
        }
    }

    @Test
    void anythingElseIsLeftToTheStream() throws Exception {
        AttributeSerializer serializer = new AttributeSerializer(null);
        List<Case> others = new ArrayList<>();
        for (Object value : otherValues()) {
            others.add(new Case(JettyStreamForms.jettyStream("a", value)));
        }
        for (String name : List.of("\u00e9t\u00e9", "n".repeat(253))) { // beyond ASCII; too long for a short block
            others.add(new Case(name, JettyStreamForms.jettyStream(name, 5)));
        }
        for (Object value : List.of(new byte[] {1, 2, 3}, "abc", 1_000, 1, 7L)) {
            byte[] form = JettyStreamForms.jettyStream("a", value);
            for (int cut = 0; cut < form.length; cut++) {
                others.add(new Case(Arrays.copyOf(form, cut)));
            }
            for (byte extra : new byte[] {0, 0x78, 0x70, (byte) 0xFF}) {
                byte[] longer = Arrays.copyOf(form, form.length + 1);
                longer[form.length] = extra;
                others.add(new Case(longer));
            }
            // Every byte before the value's own bytes (the stream's header, the count, the block with the name
            // and the flag, the value's class and length) changed: nothing of it is left unchecked.
            int flag = JettyStreamForms.flagOffset("a");
            for (int at = 0; at < form.length - variablePart(value); at++) {
                // Either flag is a direct form; 2 to 255, which the stream reads as true, are left to it.
                for (int delta : at == flag ? new int[] {2 - form[at], 0xFF - form[at], 0x80 - form[at]}
                        : new int[] {1, -1, 0x80}) {
                    byte[] changed = form.clone();
                    changed[at] = (byte) (changed[at] + delta);
                    others.add(new Case(changed));
                }
            }
        }
        byte[] forged = JettyStreamForms.jettyStream("a", new byte[] {1, 2, 3});
        forged[forged.length - 3 - 4] = 0x7F;                           // declares a far longer array
        others.add(new Case(forged));
        byte[] string = JettyStreamForms.jettyStream("a", "abc");
        string[string.length - 1] = (byte) 0xC3;                        // a byte of a two-byte character
        others.add(new Case(string));
        for (Case c : others) {
            assertNull(JettyStreamForms.decode(c.name(), c.bytes(), ANY, ALL), c::toString);
            assertSameAsTheStream(serializer, c);
        }
        // Another attribute's bytes: another name, of the same length or not.
        byte[] named = JettyStreamForms.jettyStream("a", 1_000);
        for (String other : List.of("b", "A", "ab", "")) {
            assertNull(JettyStreamForms.decode(other, named, ANY, ALL), other);
            assertThrows(IOException.class, () -> serializer.decode(other, named));
            assertSameAsTheStream(serializer, new Case(other, named));
        }
        // Random bytes, alone and after the head of a valid form: rarely a form by chance, and then the right one.
        Random random = new Random(11);
        byte[] head = Arrays.copyOf(JettyStreamForms.jettyStream("a", 5), JettyStreamForms.flagOffset("a") + 1);
        int forms = 0;
        for (int i = 0; i < 500; i++) {
            byte[] noise = new byte[random.nextInt(120)];
            random.nextBytes(noise);
            assertNull(JettyStreamForms.decode("a", noise, ANY, ALL), Arrays.toString(noise));
            assertSameAsTheStream(serializer, new Case(noise));
            byte[] afterHead = Arrays.copyOf(head, head.length + noise.length);
            System.arraycopy(noise, 0, afterHead, head.length, noise.length);
            Object direct = JettyStreamForms.decode("a", afterHead, ANY, ALL);
            if (direct != null) {
                forms++;
                assertEquals(describe(readWithJettysStream("a", afterHead)), describe(direct), Arrays.toString(afterHead));
            } else {
                assertSameAsTheStream(serializer, new Case(afterHead));
            }
        }
        assertTrue(forms < 5, forms + " random tails were forms");
    }

    /** {@code decode} comes to what the stream comes to: the same value, or the same error. */
    private static void assertSameAsTheStream(AttributeSerializer serializer, Case c) {
        assertEquals(outcome(() -> serializer.decodeWithStream(c.name(), c.bytes())),
                outcome(() -> serializer.decode(c.name(), c.bytes())), c::toString);
    }

    @Test
    void whatThePolicyRefusedIsRefusedWithTheSameError() throws Exception {
        AttributeSerializer defaults = new AttributeSerializer(null);
        List<Object> values = List.of(new byte[100], new byte[0], "abc", "", 1_000, 1, 7L);
        List<String> policies = new ArrayList<>(List.of("maxarray=99", "maxarray=100", "maxarray=0", "maxdepth=1",
                "maxdepth=2", "maxdepth=3"));
        for (int refs = 1; refs <= 8; refs++) {
            policies.add("maxrefs=" + refs);
        }
        for (Object value : values) {
            int length = defaults.encode("a", value).length;
            for (int bytes = length - 1; bytes <= length + 1; bytes++) {
                policies.add("maxbytes=" + bytes);
            }
        }
        int refused = 0;
        for (String policy : policies) {
            AttributeSerializer serializer = new AttributeSerializer(policy);
            for (Object value : values) {
                byte[] bytes = serializer.encode("a", value);
                String before = outcome(() -> serializer.decodeWithStream("a", bytes));
                assertEquals(before, outcome(() -> serializer.decode("a", bytes)), policy + ", " + describe(value));
                refused += before.startsWith("refused") ? 1 : 0;
            }
        }
        assertTrue(refused >= 10, "the policies refused only " + refused + " reads: the test proves little");
        AttributeSerializer short99 = new AttributeSerializer("maxarray=99");
        byte[] hundred = short99.encode("a", new byte[100]);
        AttributeSerializer.RejectedAttributeException e = assertThrows(
                AttributeSerializer.RejectedAttributeException.class, () -> short99.decode("a", hundred));
        assertTrue(e.getMessage().contains("maxarray=99"), e.getMessage());
        assertNull(JettyStreamForms.decode("a", hundred, 99, ALL));
        assertEquals(100, ((byte[]) JettyStreamForms.decode("a", hundred, 100, ALL)).length);

        // The policy's grammar cannot refuse Integer, Long or Number (always allowed); core's rule can, and
        // every stream holds the count, an Integer.
        Predicate<Class<?>> noIntegers = c -> c != Integer.class;
        Predicate<Class<?>> noLongs = c -> c != Long.class;
        for (Object value : List.of(new byte[3], "abc", 1_000, 1, 7L)) {
            byte[] bytes = JettyStreamForms.jettyStream("a", value);
            assertNull(JettyStreamForms.decode("a", bytes, ANY, noIntegers), describe(value));
            assertEquals(value instanceof Long ? null : describe(value),
                    describeOrNull(JettyStreamForms.decode("a", bytes, ANY, noLongs)), describe(value));
        }
    }

    /**
     * A JVM-wide serial filter ({@code jdk.serialFilter}) must see every class, so while one is set every value
     * goes through the stream: one that refuses {@code Long} still refuses a {@code Long}. The filter is set
     * once per JVM, so this runs in a JVM of its own.
     */
    @Test
    void aJvmWideSerialFilterStillSeesEveryValue() throws Exception {
        Path work = Path.of("target", "direct-decode");
        WorkDirs.fresh(work);
        try (Reaper reaper = new Reaper("direct-decode-reaper")) {
            JavaCommand cmd = JavaCommand.of(JvmWideFilterCheck.class)
                    .options("-Xmx64m", "-XX:TieredStopAtLevel=1")
                    .classpath(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")))
                    .property("jdk.serialFilter", "!java.lang.Long");
            ChildProcess child = reaper.track(ChildProcess.start("jvm-wide-filter", cmd.toList(),
                    work.resolve("jvm-wide-filter.log")));
            assertEquals(0, child.awaitExit(Duration.ofSeconds(60)), child.tail());
            String out = child.output();
            assertTrue(out.contains(JvmWideFilterCheck.LONG_REFUSED), out);
            assertTrue(out.contains(JvmWideFilterCheck.INTEGER_THROUGH_STREAM), out);
        }
    }

    /** The main of {@link #aJvmWideSerialFilterStillSeesEveryValue}'s JVM. */
    static final class JvmWideFilterCheck {
        static final String LONG_REFUSED = "a Long: refused by the JVM-wide filter";
        static final String INTEGER_THROUGH_STREAM = "an Integer: read through the stream";

        public static void main(String[] args) throws Exception {
            AttributeSerializer serializer = new AttributeSerializer(null);
            byte[] seven = serializer.encode("a", 7L);
            try {
                System.out.println("a Long: read as " + serializer.decode("a", seven));
            } catch (IOException e) {
                System.out.println(String.valueOf(e).contains("REJECTED") ? LONG_REFUSED : "a Long: " + e);
            }
            byte[] thousand = serializer.encode("a", 1_000);
            CountingLoader fresh = new CountingLoader(DirectDecodeTest.class.getClassLoader());
            Object back = underLoader(fresh, () -> serializer.decode("a", thousand));
            System.out.println(Integer.valueOf(1_000).equals(back) && fresh.lookups.get() > 0 ? INTEGER_THROUGH_STREAM
                    : "an Integer: " + back + " after " + fresh.lookups.get() + " class look-ups");
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    /** Context loaders under which Jetty writes every kind once with each flag. */
    private static List<ClassLoader> writerLoaders() {
        // null: every class is the context loader's own (bootstrap), flag false; a loader that finds nothing:
        // flag true (a server class) for every kind.
        return Arrays.asList(null, new ClassLoader(null) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                throw new ClassNotFoundException(name);
            }
        });
    }

    /** What Jetty's own stream, with no filter, reads for attribute {@code name}. */
    private static Object readWithJettysStream(String name, byte[] bytes) throws Exception {
        try (ClassLoadingObjectInputStream in = new ClassLoadingObjectInputStream(new ByteArrayInputStream(bytes))) {
            SessionData one = new SessionData("", "", "", 0, 0, 0, 0);
            SessionData.deserializeAttributes(one, in);
            return one.getAttribute(name);
        }
    }

    /** The value's bytes at the end of its form: what a change of leaves a (different) direct form. */
    private static int variablePart(Object value) {
        if (value instanceof byte[] b) {
            return b.length; // the length before them must match the rest exactly
        }
        if (value instanceof String s) {
            return s.length();
        }
        if (value instanceof Integer i) {
            return i == 1 ? 0 : 4;
        }
        return 8;
    }

    private static <T> T underLoader(ClassLoader loader, Callable<T> action) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader original = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return action.call();
        } finally {
            thread.setContextClassLoader(original);
        }
    }

    /** A value's description, or an exception's class and message: what a read came to. */
    private static String outcome(Callable<Object> read) {
        try {
            return "read " + describe(read.call());
        } catch (AttributeSerializer.RejectedAttributeException e) {
            return "refused " + e.getMessage();
        } catch (Exception e) {
            return "failed " + e;
        }
    }

    private static String describeOrNull(Object v) {
        return v == null ? null : describe(v);
    }

    private static String describe(Object v) {
        if (v instanceof byte[] b) {
            return "byte[" + b.length + "] " + Arrays.hashCode(b);
        }
        if (v == null) {
            return "null";
        }
        if (v instanceof int[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof long[] a) {
            return Arrays.toString(a);
        }
        return v.getClass().getSimpleName() + " " + (v instanceof String s && s.length() > 40 ? s.length() + " chars " + s.hashCode() : v);
    }

    /** A context loader that counts the classes it is asked for. */
    static final class CountingLoader extends ClassLoader {
        final AtomicInteger lookups = new AtomicInteger();

        CountingLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            lookups.incrementAndGet();
            return super.loadClass(name, resolve);
        }
    }
}
