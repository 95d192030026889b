package org.sessiongrid.codec;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.rmi.server.UnicastRemoteObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import javax.management.BadAttributeValueExpException;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeserializationPolicyTest {

    @Test
    void defaultsHaveDocumentedLimitsAndNoUserPatterns() {
        var p = DeserializationPolicy.defaults();
        assertEquals("", p.spec());
        assertEquals(100, p.maxDepth());
        assertEquals(1_000_000, p.maxReferences());
        assertEquals(10_000_000, p.maxArrayLength());
        assertEquals(10 * 1024 * 1024, p.maxBytes());
        assertSame(p, DeserializationPolicy.parse(null));
        assertSame(p, DeserializationPolicy.parse("  \n "));
    }

    @Test
    void defaultDenyListCoversKnownGadgets() {
        assertTrue(DeserializationPolicy.defaultDenyPatterns().containsAll(List.of(
                "org.apache.commons.collections.functors.*",
                "org.apache.commons.collections4.functors.*",
                "org.apache.commons.collections.keyvalue.TiedMapEntry",
                "org.apache.commons.collections4.keyvalue.TiedMapEntry",
                "org.apache.commons.beanutils.BeanComparator",
                "org.codehaus.groovy.runtime.ConvertedClosure",
                "org.codehaus.groovy.runtime.MethodClosure",
                "org.springframework.beans.factory.ObjectFactory",
                "org.springframework.core.SerializableTypeWrapper*",
                "org.springframework.aop.framework.AdvisedSupport",
                "org.springframework.aop.target.SingletonTargetSource",
                "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl",
                "org.apache.xalan.xsltc.trax.TemplatesImpl",
                "javax.management.BadAttributeValueExpException",
                "com.sun.rowset.JdbcRowSetImpl",
                "org.hibernate.engine.spi.TypedValue",
                "org.hibernate.tuple.component.AbstractComponentTuplizer",
                "com.mchange.v2.c3p0.**",
                "org.apache.commons.fileupload.disk.DiskFileItem",
                "bsh.**",
                "org.python.core.**",
                "java.rmi.server.UnicastRemoteObject",
                "java.rmi.server.RemoteObjectInvocationHandler",
                "sun.rmi.**",
                "com.sun.jndi.**")));
        assertFalse(DeserializationPolicy.defaultDenyPatterns().contains("java.util.PriorityQueue"));
        for (String pattern : DeserializationPolicy.defaultDenyPatterns()) {
            assertDoesNotThrow(() -> DeserializationPolicy.parse("!" + pattern), pattern);
        }
    }

    @Test
    void parsesPatternsAndLimitsIgnoringWhitespaceAroundTokens() {
        var p = DeserializationPolicy.parse(" com.acme.**;\n java.util.* ;!*; maxdepth=5;maxrefs=10;;maxarray=0;maxbytes=2048 ");
        assertEquals("com.acme.**;java.util.*;!*;maxdepth=5;maxrefs=10;maxarray=0;maxbytes=2048", p.spec());
        assertEquals(5, p.maxDepth());
        assertEquals(10, p.maxReferences());
        assertEquals(0, p.maxArrayLength());
        assertEquals(2048, p.maxBytes());
        assertEquals(p, DeserializationPolicy.parse(p.spec()));
        assertTrue(p.toString().contains("deserializationFilter=\"com.acme.**"), p.toString());
    }

    @Test
    void unsetLimitsKeepTheirDefaults() {
        var p = DeserializationPolicy.parse("maxbytes=1024");
        assertEquals(DeserializationPolicy.DEFAULT_MAX_DEPTH, p.maxDepth());
        assertEquals(1024, p.maxBytes());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "com..acme.X          | com..acme.X",
        "!                    | !",
        "maxdepth=abc         | maxdepth=abc",
        "maxdepth=-1          | maxdepth=-1",
        "maxrefs=0            | maxrefs=0",
        "maxbytes=99999999999 | maxbytes=99999999999",
        "foo=1                | foo=1",
        "com.acme.*X          | com.acme.*X",
        "**                   | **",
        "/java.util.*         | /java.util.*",
        "java.base/           | java.base/",
        "maxdepth=1;maxdepth=2| maxdepth=2",
        "java.util.*;com acme | com acme",
        "com.acme.            | com.acme.",
        ".acme.X              | .acme.X",
        "1com.X               | 1com.X",
        "com.acme.X;!!y       | !!y",
    })
    void rejectsBadSpecNamingSettingTokenAndSyntax(String spec, String badToken) {
        var e = assertThrows(IllegalArgumentException.class, () -> DeserializationPolicy.parse(spec));
        assertTrue(e.getMessage().startsWith("Invalid deserializationFilter \"" + spec + "\": token '" + badToken + "'"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Syntax: tokens separated by ';'"), e.getMessage());
        assertTrue(e.getMessage().contains("Example: \"com.acme.**;"), e.getMessage());
    }

    @Test
    void defaultPolicyAllowsOrdinaryClassesAndRejectsDenyList() {
        var p = DeserializationPolicy.defaults();
        assertTrue(p.allows(HashMap.class));
        assertTrue(p.allows(int[][].class));
        assertTrue(p.allows(String[].class));
        assertTrue(p.allows(Instant.class));
        assertFalse(p.allows(BadAttributeValueExpException.class));
        assertFalse(p.allows(BadAttributeValueExpException[].class));
        assertFalse(p.allows(UnicastRemoteObject.class));
    }

    @Test
    void denyListBeatsUserAllowPatterns() {
        var p = DeserializationPolicy.parse("javax.management.**;java.rmi.**;*");
        assertFalse(p.allows(BadAttributeValueExpException.class));
        assertFalse(p.allows(UnicastRemoteObject.class));
        assertTrue(p.allows(ObjectName.class));
    }

    @Test
    void firstMatchingUserPatternWinsAndUndecidedIsAllowed() {
        var p = DeserializationPolicy.parse("java.util.HashMap;!java.util.*");
        assertTrue(p.allows(HashMap.class));
        assertFalse(p.allows(ArrayList.class));
        assertTrue(p.allows(Instant.class), "no pattern decides java.time.Instant, so it is allowed");
    }

    @Test
    void rejectEverythingElseStillAllowsBasicValueTypes() {
        var p = DeserializationPolicy.parse("java.util.ArrayList;!*");
        assertTrue(p.allows(ArrayList.class));
        assertFalse(p.allows(HashMap.class));
        assertFalse(p.allows(BigDecimal.class), "BigDecimal is not a basic type; list java.math.* to allow it");
        assertTrue(p.allows(String.class));
        assertTrue(p.allows(Long.class));
        assertTrue(p.allows(Integer[].class));
        assertTrue(p.allows(byte[].class));
        assertTrue(p.allows(Object[].class), "ArrayList.readObject checks an Object[]");
    }

    @Test
    void modulePatternsMatchOnlyClassesOfThatModule() {
        var p = DeserializationPolicy.parse("java.base/java.util.*;!*");
        assertTrue(p.allows(HashMap.class));
        assertFalse(p.allows(ObjectName.class));
        assertFalse(DeserializationPolicy.parse("java.sql/java.util.*;!*").allows(HashMap.class));
        assertTrue(DeserializationPolicy.parse("java.management/*;!*").allows(ObjectName.class));
    }

    @Test
    void wildcardFormsFollowTheJdk() {
        assertMatch("com.acme.*", "com.acme.Cart", true);
        assertMatch("com.acme.*", "com.acme.Cart$Line", true);
        assertMatch("com.acme.*", "com.acme.sub.Cart", false);
        assertMatch("com.acme.**", "com.acme.sub.Cart", true);
        assertMatch("com.acme.**", "com.acmex.Cart", false);
        assertMatch("com.acme.Cart*", "com.acme.CartLine", true);
        assertMatch("com.acme.Cart", "com.acme.CartLine", false);
        assertMatch("*", "anything.At.All", true);
    }

    private static void assertMatch(String pattern, String className, boolean expected) {
        var verdict = DeserializationPolicy.parse("!" + pattern).verdict(className, null, true);
        assertEquals(expected, verdict.rejected(), () -> pattern + " vs " + className);
    }
}
