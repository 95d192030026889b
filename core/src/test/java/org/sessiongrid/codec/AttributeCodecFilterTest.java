package org.sessiongrid.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sessiongrid.codec.CompiledClasses.newInstance;
import static org.sessiongrid.codec.CompiledClasses.rawSerialize;

import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.lang.reflect.Proxy;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.management.BadAttributeValueExpException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.codec.AttributeCodecTest.FixedGreeting;
import org.sessiongrid.codec.UnreadableAttributeException.Reason;

/** Class loaders, the deny list, user patterns and limits, with classes compiled at test time. */
class AttributeCodecFilterTest {

    private static final ClassLoader APP = AttributeCodecFilterTest.class.getClassLoader();
    private static final String FUNCTOR = "org.apache.commons.collections.functors.InvokerTransformer";

    @TempDir
    static Path dir;

    /** Sees the compiled fixtures and, through its parent, the test classes: like a webapp loader. */
    private static URLClassLoader webapp;

    private final AttributeCodec codec = new AttributeCodec(DeserializationPolicy.defaults());

    @BeforeAll
    static void compileFixtures() throws Exception {
        webapp = CompiledClasses.compile(dir, APP, Map.ofEntries(
                Map.entry("org.sessiongrid.isolated.Isolated", """
                        package org.sessiongrid.isolated;
                        public class Isolated implements java.io.Serializable {
                            public String value = "only in the webapp";
                        }"""),
                Map.entry("org.sessiongrid.isolated.IsolatedApi", """
                        package org.sessiongrid.isolated;
                        public interface IsolatedApi { String hello(); }"""),
                // A harmless class that merely has a gadget's name.
                Map.entry(FUNCTOR, """
                        package org.apache.commons.collections.functors;
                        public class InvokerTransformer implements java.io.Serializable {
                            public String iMethodName = "exec";
                        }"""),
                Map.entry("org.springframework.aop.framework.AdvisedSupport", """
                        package org.springframework.aop.framework;
                        public class AdvisedSupport implements java.io.Serializable { }"""),
                Map.entry("org.springframework.beans.factory.ObjectFactory", """
                        package org.springframework.beans.factory;
                        public interface ObjectFactory { Object getObject(); }"""),
                Map.entry("com.acme.MyProxyConfig", """
                        package com.acme;
                        public class MyProxyConfig extends org.springframework.aop.framework.AdvisedSupport { }"""),
                Map.entry("com.acme.Allowed", """
                        package com.acme;
                        public class Allowed implements java.io.Serializable {
                            public String name = "ok";
                            public Integer count = 7;
                            public byte[] data = {1, 2, 3};
                            public String[] tags = {"a", "b"};
                        }"""),
                Map.entry("com.acme.Other", """
                        package com.acme;
                        public class Other implements java.io.Serializable { public String name = "other"; }"""),
                Map.entry("com.acme.WithList", """
                        package com.acme;
                        public class WithList implements java.io.Serializable {
                            public java.util.ArrayList<String> items = new java.util.ArrayList<>(java.util.List.of("a"));
                        }"""),
                Map.entry("com.acme.Holder", """
                        package com.acme;
                        public class Holder implements java.io.Serializable {
                            public Object payload;
                            public Holder(Object payload) { this.payload = payload; }
                        }"""),
                Map.entry("com.acme.Color", """
                        package com.acme;
                        public enum Color { RED }"""),
                Map.entry("com.acme.JvmDenied", """
                        package com.acme;
                        public class JvmDenied implements java.io.Serializable { }""")));
    }

    @AfterAll
    static void closeLoader() throws Exception {
        webapp.close();
    }

    private static UnreadableAttributeException unreadable(AttributeCodec codec, byte[] bytes, ClassLoader loader) {
        return assertThrows(UnreadableAttributeException.class, () -> codec.decode("attr", bytes, loader));
    }

    private static void assertMentions(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "expected '" + part + "' in: " + e.getMessage());
        }
    }

    // --- class loaders -------------------------------------------------------------------------

    @Test
    void resolvesClassesWithTheGivenLoaderOnly() throws Exception {
        byte[] bytes = codec.encode("attr", newInstance(webapp, "org.sessiongrid.isolated.Isolated"));

        Object copy = codec.decode("attr", bytes, webapp);
        assertSame(webapp, copy.getClass().getClassLoader());

        var e = unreadable(codec, bytes, APP);
        assertEquals(Reason.CLASS_NOT_FOUND, e.reason());
        assertEquals(Optional.of("org.sessiongrid.isolated.Isolated"), e.className());
        assertMentions(e, "attribute 'attr'", "class org.sessiongrid.isolated.Isolated is not visible",
                "WEB-INF/classes or WEB-INF/lib");
    }

    @Test
    void resolvesProxyInterfacesWithTheGivenLoader() throws Exception {
        Class<?> api = webapp.loadClass("org.sessiongrid.isolated.IsolatedApi");
        Object proxy = Proxy.newProxyInstance(webapp, new Class<?>[] {api}, new FixedGreeting("hi"));
        byte[] bytes = codec.encode("attr", proxy);

        Object copy = codec.decode("attr", bytes, webapp);
        assertTrue(api.isInstance(copy));
        assertEquals("hi", api.getMethod("hello").invoke(copy));

        var e = unreadable(codec, bytes, APP);
        assertEquals(Reason.CLASS_NOT_FOUND, e.reason());
        assertEquals(Optional.of("org.sessiongrid.isolated.IsolatedApi"), e.className());
    }

    // --- default deny list ---------------------------------------------------------------------

    @Test
    void rejectsGadgetClassByDefault() {
        var e = unreadable(codec, rawSerialize(newInstance(webapp, FUNCTOR)), webapp);

        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of(FUNCTOR), e.className());
        assertMentions(e, "attribute 'attr' was not deserialized", FUNCTOR,
                "built-in deny list", "'org.apache.commons.collections.functors.*'");
    }

    @Test
    void rejectsGadgetAnywhereInTheGraph() {
        Object gadget = newInstance(webapp, FUNCTOR);
        Map<String, Object> map = new HashMap<>();
        map.put("fine", "value");
        map.put("list", new ArrayList<>(List.of(1, new ArrayList<>(List.of("x", gadget)))));
        Object holder = newInstance(webapp, "com.acme.Holder", map);

        for (Object value : List.of(map, holder, new Object[] {"a", gadget})) {
            var e = unreadable(codec, rawSerialize(value), webapp);
            assertEquals(Reason.REJECTED_BY_FILTER, e.reason(), () -> value.getClass().getName());
            assertEquals(Optional.of(FUNCTOR), e.className());
        }
    }

    @Test
    void rejectsGadgetByNameEvenWhenItIsNotOnTheClassPath() {
        // Checked before loading, so a forged record is reported as an attack, not as a deployment problem.
        var e = unreadable(codec, rawSerialize(newInstance(webapp, FUNCTOR)), APP);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of(FUNCTOR), e.className());
    }

    @Test
    void denyListCannotBeOverriddenByUserAllowPatterns() {
        var permissive = new AttributeCodec(DeserializationPolicy.parse("org.apache.commons.**;javax.management.**;*"));

        var e = unreadable(permissive, rawSerialize(newInstance(webapp, FUNCTOR)), webapp);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertMentions(e, "built-in deny list");

        var jdkGadget = unreadable(permissive, rawSerialize(new BadAttributeValueExpException("harmless")), APP);
        assertEquals(Optional.of("javax.management.BadAttributeValueExpException"), jdkGadget.className());
    }

    @Test
    void rejectsSubclassOfDeniedClassThroughItsSuperclassDescriptor() {
        var e = unreadable(codec, rawSerialize(newInstance(webapp, "com.acme.MyProxyConfig")), webapp);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of("org.springframework.aop.framework.AdvisedSupport"), e.className());
    }

    @Test
    void rejectsDeniedProxyInterface() throws Exception {
        Class<?> factory = webapp.loadClass("org.springframework.beans.factory.ObjectFactory");
        Object proxy = Proxy.newProxyInstance(webapp, new Class<?>[] {factory}, new FixedGreeting("x"));

        var e = unreadable(codec, rawSerialize(proxy), webapp);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of("org.springframework.beans.factory.ObjectFactory"), e.className());
    }

    // --- user patterns -------------------------------------------------------------------------

    @Test
    void userDenyPatternRejectsNamingThePattern() {
        var strict = new AttributeCodec(DeserializationPolicy.parse("!com.acme.**"));
        byte[] bytes = codec.encode("attr", newInstance(webapp, "com.acme.Allowed"));

        var e = unreadable(strict, bytes, webapp);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of("com.acme.Allowed"), e.className());
        assertMentions(e, "class com.acme.Allowed is rejected by pattern '!com.acme.**' of deserializationFilter"
                + " \"!com.acme.**\"", "before '!com.acme.**'");
    }

    @Test
    void userDenyPatternAppliesToProxyInterfaces() throws Exception {
        var strict = new AttributeCodec(DeserializationPolicy.parse("!org.sessiongrid.isolated.IsolatedApi"));
        Class<?> api = webapp.loadClass("org.sessiongrid.isolated.IsolatedApi");
        byte[] bytes = codec.encode("attr", Proxy.newProxyInstance(webapp, new Class<?>[] {api}, new FixedGreeting("x")));

        var e = unreadable(strict, bytes, webapp);
        assertEquals(Optional.of("org.sessiongrid.isolated.IsolatedApi"), e.className());
    }

    @Test
    void allowListWithRejectAllAdmitsListedClassesAndBasicTypesOnly() throws Exception {
        var allowList = new AttributeCodec(DeserializationPolicy.parse("com.acme.Allowed;com.acme.WithList;!*"));

        // Allowed has String, Integer, byte[] and String[] fields: basic types pass without being listed.
        Object allowed = allowList.decode("attr", codec.encode("attr", newInstance(webapp, "com.acme.Allowed")), webapp);
        assertEquals("com.acme.Allowed", allowed.getClass().getName());
        assertEquals("text", allowList.decode("attr", codec.encode("attr", "text"), webapp));
        assertEquals(5L, allowList.decode("attr", codec.encode("attr", 5L), webapp));

        assertRejected(allowList, newInstance(webapp, "com.acme.Other"), "com.acme.Other", "'!*'");
        assertRejected(allowList, newInstance(webapp, "com.acme.WithList"), "java.util.ArrayList", "'!*'");
        assertRejected(allowList, new HashMap<>(Map.of("k", "v")), "java.util.HashMap", "'!*'");
        Object red = webapp.loadClass("com.acme.Color").getEnumConstants()[0];
        assertRejected(allowList, red, "com.acme.Color", "'!*'");

        var withEnum = new AttributeCodec(DeserializationPolicy.parse("com.acme.Color;!*"));
        assertSame(red, withEnum.decode("attr", codec.encode("attr", red), webapp));
    }

    @Test
    void modulePatternsWorkAlongsideTheNameCheckBeforeLoading() throws Exception {
        var p = new AttributeCodec(DeserializationPolicy.parse("java.base/java.util.*;com.acme.**;!*"));
        Object copy = p.decode("attr", codec.encode("attr", newInstance(webapp, "com.acme.WithList")), webapp);
        assertEquals("com.acme.WithList", copy.getClass().getName());
    }

    private void assertRejected(AttributeCodec strict, Object value, String className, String rule) {
        var e = unreadable(strict, codec.encode("attr", value), webapp);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of(className), e.className());
        assertMentions(e, rule);
    }

    // --- limits --------------------------------------------------------------------------------

    private static List<Object> nested(int depth) {
        List<Object> root = new ArrayList<>();
        List<Object> current = root;
        for (int i = 1; i < depth; i++) {
            List<Object> next = new ArrayList<>();
            current.add(next);
            current = next;
        }
        return root;
    }

    @Test
    void rejectsGraphDeeperThanMaxDepth() throws Exception {
        var shallow = new AttributeCodec(DeserializationPolicy.parse("maxdepth=10"));
        shallow.decode("attr", codec.encode("attr", nested(5)), APP);

        var e = unreadable(shallow, codec.encode("attr", nested(20)), APP);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertMentions(e, "maxdepth=10", "'maxdepth=N'");

        var byDefault = unreadable(codec, codec.encode("attr", nested(150)), APP);
        assertMentions(byDefault, "maxdepth=100");
    }

    @Test
    void rejectsArrayLongerThanMaxArray() throws Exception {
        var limited = new AttributeCodec(DeserializationPolicy.parse("maxarray=1000"));
        limited.decode("attr", codec.encode("attr", new int[1000]), APP);

        var e = unreadable(limited, codec.encode("attr", new int[1001]), APP);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertMentions(e, "array of 1001 elements", "maxarray=1000");
    }

    @Test
    void rejectsMoreReferencesThanMaxRefs() {
        var limited = new AttributeCodec(DeserializationPolicy.parse("maxrefs=50"));
        // Counted where the filter runs (class descriptors, arrays, back references), so use objects, not strings.
        List<AttributeCodecTest.Customer> customers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            customers.add(new AttributeCodecTest.Customer("c" + i, i));
        }
        var e = unreadable(limited, codec.encode("attr", customers), APP);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertMentions(e, "maxrefs=50");
    }

    @Test
    void rejectsRecordLargerThanMaxBytes() {
        var limited = new AttributeCodec(DeserializationPolicy.parse("maxbytes=1000"));
        var e = unreadable(limited, codec.encode("attr", new byte[2000]), APP);
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertMentions(e, "maxbytes=1000", "deserializationFilter");
    }

    @Test
    void rejectsForgedPrimitiveArrayLengthWithoutAllocatingIt() {
        byte[] bytes = codec.encode("attr", new long[4]);
        int lengthAt = bytes.length - 4 * Long.BYTES - Integer.BYTES;
        // 5,000,000 longs (40 MB) declared, within maxarray, in a record of a few dozen bytes.
        bytes[lengthAt] = 0x00;
        bytes[lengthAt + 1] = 0x4C;
        bytes[lengthAt + 2] = 0x4B;
        bytes[lengthAt + 3] = 0x40;

        var e = unreadable(codec, bytes, APP);
        assertEquals(Reason.CORRUPT, e.reason());
        assertMentions(e, "array of 5000000 elements");
    }

    // --- class evolution ----------------------------------------------------------------------

    @Test
    void reportsSerialVersionUidMismatchAsIncompatibleClass() {
        byte[] bytes = codec.encode("attr", new Versioned());
        byte[] uid = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88};
        int at = indexOf(bytes, uid);
        assertTrue(at > 0, "serialVersionUID not found in the stream");
        bytes[at + 7] = (byte) 0x99; // as if written by another version of the class

        var e = unreadable(codec, bytes, APP);
        assertEquals(Reason.INCOMPATIBLE_CLASS, e.reason());
        assertEquals(Optional.of(Versioned.class.getName()), e.className());
        assertMentions(e, "serialVersionUID", "deploy the same version on every node");
    }

    @Test
    void reportsMissingEnumConstantAsIncompatibleClass() {
        byte[] bytes = codec.encode("attr", AttributeCodecTest.Plan.GOLD);
        int at = indexOf(bytes, "GOLD".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        bytes[at + 3] = 'X';

        var e = unreadable(codec, bytes, APP);
        assertEquals(Reason.INCOMPATIBLE_CLASS, e.reason());
        assertEquals(Optional.of(AttributeCodecTest.Plan.class.getName()), e.className());
        assertMentions(e, "GOLX");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static final class Versioned implements Serializable {
        private static final long serialVersionUID = 0x1122334455667788L;
        String value = "v";
    }

    // --- JVM-wide filter -----------------------------------------------------------------------

    @Test
    void honoursTheJvmWideSerialFilterToo() throws Exception {
        // The JVM-wide filter can be set once per JVM; this one only rejects a class that exists
        // nowhere but in these fixtures, so it cannot disturb other tests sharing the JVM.
        assumeTrue(ObjectInputFilter.Config.getSerialFilter() == null, "a JVM-wide serial filter is already set");
        ObjectInputFilter.Config.setSerialFilter(info -> info.serialClass() != null
                && info.serialClass().getName().equals("com.acme.JvmDenied")
                ? ObjectInputFilter.Status.REJECTED : ObjectInputFilter.Status.UNDECIDED);

        var e = unreadable(codec, codec.encode("attr", newInstance(webapp, "com.acme.JvmDenied")), webapp);
        assertEquals(Reason.REJECTED_BY_FILTER, e.reason());
        assertEquals(Optional.of("com.acme.JvmDenied"), e.className());
        assertMentions(e, "JVM-wide serial filter");

        // Our own rules still apply on top of it.
        assertEquals(Reason.REJECTED_BY_FILTER, unreadable(codec, rawSerialize(newInstance(webapp, FUNCTOR)), webapp).reason());
        assertEquals("com.acme.Other",
                codec.decode("attr", codec.encode("attr", newInstance(webapp, "com.acme.Other")), webapp).getClass().getName());
    }
}
