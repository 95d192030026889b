package org.sessiongrid.jetty.mapping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * An attribute's bytes are Jetty's own stream of it, whichever way they are written, and the common
 * values are written without asking the webapp's class loader anything per value.
 */
class AttributeSerializerTest {

    private static final String LONG_NAME = "n".repeat(JettyStreamForms.MAX_NAME);

    private static List<Object> values() {
        byte[] kib = new byte[1024];
        new Random(7).nextBytes(kib);
        List<Object> values = new ArrayList<>(List.of(new byte[0], kib, new byte[] {0, -1, 127},
                "", "x", "a somewhat longer ASCII text", "non-ASCII: \u00e9\u4e2d", "nul \u0000 inside",
                "s".repeat(70_000), 0, 1, 127, 128, -5, Integer.MIN_VALUE, Integer.MAX_VALUE,
                0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 2.5d, List.of("a list", 3)));
        values.add(Integer.valueOf(1000)); // not the count's object
        return values;
    }

    private static List<String> names() {
        return List.of("a", "counter", "payload", LONG_NAME, LONG_NAME + "x", "\u00e9t\u00e9", "");
    }

    @Test
    void everyAttributeIsJettysOwnStreamUnderAnyContextLoader() throws Exception {
        AttributeSerializer serializer = new AttributeSerializer(null);
        ClassLoader original = Thread.currentThread().getContextClassLoader();
        ClassLoader[] loaders = {original, null, new URLClassLoader(new URL[0], original),
                new CountingLoader(original)};
        try {
            for (ClassLoader loader : loaders) {
                Thread.currentThread().setContextClassLoader(loader);
                for (String name : names()) {
                    for (Object value : values()) {
                        byte[] bytes = serializer.encode(name, value);
                        assertArrayEquals(JettyStreamForms.jettyStream(name, value), bytes,
                                () -> name + "=" + value + " under " + loader);
                        Thread.currentThread().setContextClassLoader(original);
                        Object back = serializer.decode(name, bytes);
                        Thread.currentThread().setContextClassLoader(loader);
                        if (value instanceof byte[] b) {
                            assertArrayEquals(b, (byte[]) back);
                        } else {
                            assertEquals(value, back);
                        }
                    }
                }
            }
        } finally {
            Thread.currentThread().setContextClassLoader(original);
        }
    }

    @Test
    void commonValuesAreWrittenWithoutAClassLookupPerValue() throws Exception {
        AttributeSerializer serializer = new AttributeSerializer(null);
        serializer.encode("warm", 1000); // the forms are taken and checked once per JVM, under this loader
        ClassLoader original = Thread.currentThread().getContextClassLoader();
        CountingLoader webapp = new CountingLoader(original);
        Thread.currentThread().setContextClassLoader(webapp);
        try {
            for (int i = 0; i < 100; i++) {
                serializer.encode("payload", new byte[1024]);
                serializer.encode("counter", 1000 + i);
                serializer.encode("user", "user" + i);
                serializer.encode("since", (long) i);
            }
        } finally {
            Thread.currentThread().setContextClassLoader(original);
        }
        // Jetty's serialization asks the context loader for each value's class (for byte[] that fails
        // with an exception): at most once per kind of value here, not per value.
        assertTrue(webapp.lookups.get() <= JettyStreamForms.KINDS,
                "class look-ups for 400 values: " + webapp.lookups.get());
    }

    /** A webapp-like context loader that counts the classes it is asked for. */
    private static final class CountingLoader extends ClassLoader {
        final AtomicInteger lookups = new AtomicInteger();

        CountingLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            lookups.incrementAndGet();
            return super.loadClass(name, resolve);
        }

        @Override
        public String toString() {
            return "CountingLoader";
        }
    }
}
