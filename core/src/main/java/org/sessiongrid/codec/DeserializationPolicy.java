package org.sessiongrid.codec;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which classes may appear in a deserialized session attribute, and how big and deep its
 * object graph may be. Parsed from the {@code deserializationFilter} setting (Tomcat
 * {@code context.xml} attribute, Jetty property {@code sessiongrid.deserializationFilter},
 * system property {@code sessiongrid.deserializationFilter}).
 *
 * <h2>Syntax</h2>
 * The syntax is the one of {@link java.io.ObjectInputFilter.Config#createFilter(String)}:
 * tokens separated by {@code ;}, each either a class pattern or a limit.
 * <ul>
 *   <li>{@code com.acme.Cart} matches that class (binary name, {@code Outer$Inner} for
 *       nested classes);</li>
 *   <li>{@code com.acme.*} matches the classes of package {@code com.acme};</li>
 *   <li>{@code com.acme.**} matches the classes of {@code com.acme} and all its
 *       subpackages;</li>
 *   <li>{@code com.acme.Cart*} matches every class whose name starts with
 *       {@code com.acme.Cart}; {@code *} alone matches every class;</li>
 *   <li>{@code java.base/java.util.*}: a module name and {@code /} before a pattern restrict
 *       it to classes of that named module;</li>
 *   <li>{@code !} before a pattern rejects the classes it matches, otherwise they are
 *       allowed;</li>
 *   <li>limits {@code maxdepth=N} (nesting depth of the object graph), {@code maxrefs=N}
 *       (objects and back references), {@code maxarray=N} (length of any one array) and
 *       {@code maxbytes=N} (size of one serialized attribute).</li>
 * </ul>
 * One deliberate difference from the JDK: whitespace around a token is ignored, because the
 * setting is often written across several lines of XML. Whitespace inside a token is an
 * error.
 *
 * <h2>How a class is decided</h2>
 * Every class of the serialized graph is checked: the class of every object, its serializable
 * superclasses, the component type of every array (arrays are decided by their innermost
 * component type, like the JDK), and every interface of a dynamic proxy.
 * <ol>
 *   <li>The {@linkplain #defaultDenyPatterns() built-in deny list} of known gadget classes
 *       always applies first. A class on it is rejected even if a user pattern allows it; there
 *       is deliberately no way to override it, because no session attribute needs these
 *       classes and an allow pattern such as {@code org.apache.commons.**} must not silently
 *       re-enable them.</li>
 *   <li>A handful of classes Java serialization needs for basic values are always allowed:
 *       {@code java.lang.String}, the boxed primitives and their superclass
 *       {@code java.lang.Number}, {@code java.lang.Enum} (the superclass every enum constant
 *       carries) and {@code java.lang.reflect.Proxy} (the superclass every proxy carries; the
 *       proxy's interfaces and handler are still checked), as well as {@code java.lang.Object}
 *       and {@code java.util.Map$Entry}, which the JDK collections name when they size their
 *       internal arrays ({@code ArrayList} an {@code Object[]}, {@code HashMap} a
 *       {@code Map.Entry[]}); none of these is ever deserialized as an instance of its own.
 *       Primitive types and arrays of them are always allowed too. So
 *       {@code com.acme.Cart;!*} lets a {@code Cart} with {@code String}, {@code Integer} and
 *       {@code byte[]} fields through, but rejects a
 *       {@code java.util.ArrayList} field until {@code java.util.ArrayList} (or
 *       {@code java.util.*}) is added before {@code !*}. An enum constant is decided by its own
 *       enum class.</li>
 *   <li>Then the user's patterns, in order; the first one that matches decides.</li>
 *   <li>A class no pattern decides is <strong>allowed</strong>. Session stores hold
 *       arbitrary application classes, so a default-deny would quarantine most real sessions;
 *       this default is the deny list plus whatever the user rejects. For real protection
 *       against gadget chains not on the list, configure an allow list that ends in
 *       {@code !*}, for example {@code com.acme.**;java.util.*;java.time.*;java.math.*;!*}.</li>
 * </ol>
 * The JVM-wide serial filter ({@code jdk.serialFilter}), if one is configured, is applied in
 * addition to this policy, never replaced by it.
 *
 * <h2>Limits</h2>
 * Like the JDK, the filter runs for each class descriptor, array and back reference, not for
 * each string, so {@code maxrefs} and {@code maxdepth} are enforced at those points; the byte
 * limit bounds everything else. Defaults: {@code maxdepth=100}, {@code maxrefs=1000000},
 * {@code maxarray=10000000}, {@code maxbytes=10485760} (10 MiB). A limit given in the setting replaces its default; the
 * others keep theirs.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class DeserializationPolicy {

    /** The name of the setting this policy is parsed from, used in every error message. */
    public static final String SETTING = "deserializationFilter";

    /** Default {@code maxdepth}: far deeper than any sane attribute, shallow enough to stop stack exhaustion. */
    public static final long DEFAULT_MAX_DEPTH = 100;

    /**
     * Default {@code maxrefs}. Higher than the 100,000 one might expect: a 2 MB list of small
     * DTOs easily holds more objects than that, and the byte limit already bounds the count
     * (every object costs at least a few bytes of stream).
     */
    public static final long DEFAULT_MAX_REFERENCES = 1_000_000;

    /** Default {@code maxarray}: lets a {@code byte[]} of several MiB through. */
    public static final long DEFAULT_MAX_ARRAY_LENGTH = 10_000_000;

    /** Default {@code maxbytes}: 10 MiB per serialized attribute. */
    public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;

    // The largest byte[] the JVM reliably allocates.
    private static final long MAX_POSSIBLE_BYTES = Integer.MAX_VALUE - 8;

    private static final String SYNTAX = "Syntax: tokens separated by ';', checked in order, the first"
            + " matching pattern decides: 'com.acme.Cart' (one class), 'com.acme.*' (a package),"
            + " 'com.acme.**' (a package and its subpackages), 'com.acme.Cart*' (a name prefix),"
            + " '*' (every class), 'java.base/java.util.*' (classes of a module); a leading '!'"
            + " rejects instead of allowing; limits are maxdepth=N, maxrefs=N, maxarray=N,"
            + " maxbytes=N. Example: \"com.acme.**;java.util.*;java.time.*;!*;maxbytes=5242880\"";

    /*
     * Known gadget classes, one line per entry naming the chain (ysoserial payload) it breaks.
     * Only classes with no business in a session attribute: generic collections that chains
     * merely use as triggers (HashMap, PriorityQueue, Hashtable) stay allowed, the sinks and
     * method invokers are denied. Exact class names also catch subclasses, because a
     * serializable superclass is itself written to, and checked in, the stream.
     */
    private static final List<String> DEFAULT_DENY = List.of(
            // CommonsCollections1,3,5,6,7,10: Invoker/Instantiate/ChainedTransformer call arbitrary methods.
            "org.apache.commons.collections.functors.*",
            // CommonsCollections2,4,8: the same functors in collections4.
            "org.apache.commons.collections4.functors.*",
            // CommonsCollections5,6,10, AspectJWeaver: hashCode/toString trigger into LazyMap.get.
            "org.apache.commons.collections.keyvalue.TiedMapEntry",
            // The collections4 variant of the same trigger.
            "org.apache.commons.collections4.keyvalue.TiedMapEntry",
            // CommonsBeanutils1/2, BeanUtilsWrapper1: compare() calls an attacker-named getter.
            "org.apache.commons.beanutils.BeanComparator",
            // The same getter invoker in commons-beanutils2.
            "org.apache.commons.beanutils2.BeanComparator",
            // Groovy1: proxy handler that runs a closure for every call.
            "org.codehaus.groovy.runtime.ConvertedClosure",
            // Groovy1: closure that invokes any method by name (e.g. "execute" on a String).
            "org.codehaus.groovy.runtime.MethodClosure",
            // Spring1: proxy interface whose getObject() hands out the TemplatesImpl sink.
            "org.springframework.beans.factory.ObjectFactory",
            // Spring1/2: MethodInvokeTypeProvider.readObject invokes a method by name.
            "org.springframework.core.SerializableTypeWrapper*",
            // Spring2, JSON1: JdkDynamicAopProxy configuration that routes calls to the sink.
            "org.springframework.aop.framework.AdvisedSupport",
            // Spring2: target holder that delivers the TemplatesImpl sink.
            "org.springframework.aop.target.SingletonTargetSource",
            // SpringJta/Spring3: readObject performs a JNDI lookup of an attacker-chosen name.
            "org.springframework.transaction.jta.JtaTransactionManager",
            // Sink of CommonsBeanutils1, CC2/3/4, Spring1/2, Jdk7u21, ROME, Hibernate1, Rhino1: runs embedded bytecode.
            "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl",
            // The same sink in standalone Xalan.
            "org.apache.xalan.xsltc.trax.TemplatesImpl",
            // CommonsCollections1, Jdk7u21, Spring1: proxy handler that drives the chain from readObject/equals.
            "sun.reflect.annotation.AnnotationInvocationHandler",
            // CC5/CC10, Vaadin1, Atomikos, MozillaRhino1: readObject calls toString() on attacker data.
            "javax.management.BadAttributeValueExpException",
            // Getter-invoker chains: getObject() runs a second, unfiltered deserialization of its content.
            "java.security.SignedObject",
            // Hibernate2 and getter-invoker chains: a getter performs a JNDI lookup (remote class loading).
            "com.sun.rowset.JdbcRowSetImpl",
            // JNDI provider internals, e.g. LdapAttribute whose getters perform LDAP lookups.
            "com.sun.jndi.**",
            // JRMPClient/JRMPListener: readObject rebuilds a live RMI reference (covers all subclasses).
            "java.rmi.server.RemoteObject",
            // JRMPListener: readObject exports a listening RMI endpoint.
            "java.rmi.server.UnicastRemoteObject",
            // JRMPClient: proxy handler that opens a JRMP connection to the attacker.
            "java.rmi.server.RemoteObjectInvocationHandler",
            // JRMPClient/JRMPListener: UnicastRef, LiveRef, TCPEndpoint, UnicastServerRef.
            "sun.rmi.**",
            // Hibernate1: TypedValue.hashCode drives the type's getter invocation.
            "org.hibernate.engine.spi.TypedValue",
            // Hibernate1: tuplizer that invokes the getter (TemplatesImpl.getOutputProperties).
            "org.hibernate.tuple.component.AbstractComponentTuplizer",
            // C3P0: PoolBackedDataSourceBase.readObject dereferences a JNDI Reference (remote class loading).
            "com.mchange.v2.c3p0.**",
            // C3P0: ReferenceIndirector$ReferenceSerialized resolves that Reference.
            "com.mchange.v2.naming.**",
            // FileUpload1: readObject writes, copies or deletes arbitrary files.
            "org.apache.commons.fileupload.disk.DiskFileItem",
            // Wicket1: Wicket's copy of the same file-writing DiskFileItem.
            "org.apache.wicket.util.upload.DiskFileItem",
            // AspectJWeaver: StoreableCachingMap.put writes arbitrary files.
            "org.aspectj.weaver.tools.cache.SimpleCache*",
            // Click1: ColumnComparator calls an attacker-named getter.
            "org.apache.click.control.Column$ColumnComparator",
            // ROME: ToStringBean.toString calls every getter of the wrapped object.
            "com.sun.syndication.feed.impl.ToStringBean",
            // ROME (rometools fork): the same getter invoker.
            "com.rometools.rome.feed.impl.ToStringBean",
            // Atomikos: toString() performs a JNDI lookup of an attacker-chosen URL.
            "com.atomikos.icatch.jta.RemoteClientUserTransaction",
            // Ceylon: SerializationProxy.readResolve invokes a method by name.
            "com.redhat.ceylon.compiler.java.language.SerializationProxy",
            // Scala: process builder closures that write files or fetch URLs.
            "scala.sys.process.**",
            // BeanShell1: XThis$Handler proxy evaluates a BeanShell script.
            "bsh.**",
            // Jython1/2: PyFunction/PyBytecode run Python code.
            "org.python.core.**",
            // MozillaRhino1/2/3: NativeJavaObject/MemberBox run JavaScript and reflective calls.
            "org.mozilla.javascript.**",
            // Clojure/Clojure2: compiled core fns (core$comp, main$eval_opt) evaluate code; clojure.lang data stays allowed.
            "clojure.*");

    private static final List<Rule> DENY_RULES = DEFAULT_DENY.stream()
            .map(p -> Rule.parse(p, p, true))
            .toList();

    private static final Set<String> ALWAYS_ALLOWED = Set.of(
            "java.lang.String", "java.lang.Boolean", "java.lang.Byte", "java.lang.Character",
            "java.lang.Short", "java.lang.Integer", "java.lang.Long", "java.lang.Float",
            "java.lang.Double", "java.lang.Number", "java.lang.Enum", "java.lang.reflect.Proxy",
            // Never instances: the JDK collections name them when they pre-size their internal
            // arrays (ArrayList checks an Object[], HashMap a Map.Entry[]), so "java.util.HashMap;!*" works.
            "java.lang.Object", "java.util.Map$Entry");

    private static final DeserializationPolicy DEFAULTS = new DeserializationPolicy("", List.of(),
            DEFAULT_MAX_DEPTH, DEFAULT_MAX_REFERENCES, DEFAULT_MAX_ARRAY_LENGTH, DEFAULT_MAX_BYTES);

    private final String spec;
    private final List<Rule> userRules;
    private final long maxDepth;
    private final long maxReferences;
    private final long maxArrayLength;
    private final long maxBytes;

    private DeserializationPolicy(String spec, List<Rule> userRules, long maxDepth,
            long maxReferences, long maxArrayLength, long maxBytes) {
        this.spec = spec;
        this.userRules = List.copyOf(userRules);
        this.maxDepth = maxDepth;
        this.maxReferences = maxReferences;
        this.maxArrayLength = maxArrayLength;
        this.maxBytes = maxBytes;
    }

    /**
     * The policy used when {@code deserializationFilter} is not set: the built-in deny list,
     * every other class allowed, default limits.
     *
     * @return the default policy
     */
    public static DeserializationPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * Parses the {@code deserializationFilter} setting.
     *
     * @param spec the setting's value; {@code null} or blank means {@link #defaults()}
     * @return the policy
     * @throws IllegalArgumentException if a token is malformed; the message names the
     *         setting, the token and the syntax
     */
    public static DeserializationPolicy parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return DEFAULTS;
        }
        List<Rule> rules = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        Long depth = null;
        Long refs = null;
        Long array = null;
        Long bytes = null;
        for (String raw : spec.split(";", -1)) {
            String token = raw.strip();
            if (token.isEmpty()) {
                continue;
            }
            tokens.add(token);
            int eq = token.indexOf('=');
            if (eq < 0) {
                rules.add(Rule.parse(spec, token, false));
                continue;
            }
            String name = token.substring(0, eq).strip();
            long value = parseLimit(spec, token, name, token.substring(eq + 1).strip());
            switch (name) {
                case "maxdepth" -> depth = once(spec, token, name, depth, value);
                case "maxrefs" -> refs = once(spec, token, name, refs, value);
                case "maxarray" -> array = once(spec, token, name, array, value);
                case "maxbytes" -> bytes = once(spec, token, name, bytes, value);
                default -> throw invalid(spec, token,
                        "is an unknown limit; the limits are maxdepth, maxrefs, maxarray and maxbytes");
            }
        }
        return new DeserializationPolicy(String.join(";", tokens), rules,
                depth != null ? depth : DEFAULT_MAX_DEPTH,
                refs != null ? refs : DEFAULT_MAX_REFERENCES,
                array != null ? array : DEFAULT_MAX_ARRAY_LENGTH,
                bytes != null ? bytes : DEFAULT_MAX_BYTES);
    }

    private static long parseLimit(String spec, String token, String name, String text) {
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw invalid(spec, token, "needs a whole number after '='");
        }
        // maxarray=0 is meaningful (no arrays at all); zero for the others would reject every attribute.
        long min = name.equals("maxarray") ? 0 : 1;
        if (value < min) {
            throw invalid(spec, token, "must be at least " + min);
        }
        if (name.equals("maxbytes") && value > MAX_POSSIBLE_BYTES) {
            throw invalid(spec, token, "is larger than the largest possible byte array ("
                    + MAX_POSSIBLE_BYTES + ")");
        }
        return value;
    }

    private static Long once(String spec, String token, String name, Long previous, long value) {
        if (previous != null) {
            throw invalid(spec, token, "sets " + name + " a second time");
        }
        return value;
    }

    static IllegalArgumentException invalid(String spec, String token, String problem) {
        return new IllegalArgumentException("Invalid " + SETTING + " \"" + spec + "\": token '"
                + token + "' " + problem + ". " + SYNTAX);
    }

    /**
     * The built-in deny list, in the pattern syntax described above. It always applies, before
     * the user's patterns.
     *
     * @return an unmodifiable list of patterns
     */
    public static List<String> defaultDenyPatterns() {
        return DEFAULT_DENY;
    }

    /**
     * The user's part of the setting, normalized (tokens stripped, empty tokens dropped); empty
     * for {@link #defaults()}.
     *
     * @return the normalized {@code deserializationFilter} value
     */
    public String spec() {
        return spec;
    }

    /** @return the maximum nesting depth of a deserialized object graph ({@code maxdepth}) */
    public long maxDepth() {
        return maxDepth;
    }

    /** @return the maximum number of objects and back references in one attribute ({@code maxrefs}) */
    public long maxReferences() {
        return maxReferences;
    }

    /** @return the maximum length of any one array ({@code maxarray}) */
    public long maxArrayLength() {
        return maxArrayLength;
    }

    /** @return the maximum size in bytes of one serialized attribute ({@code maxbytes}) */
    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Whether this policy's class rules admit a class, ignoring limits. Arrays are decided by
     * their component type, primitives are always admitted, a proxy class is admitted when all
     * its interfaces are.
     *
     * @param type the class to check
     * @return {@code true} if deserializing an instance of {@code type} would not be rejected
     *         by the class rules
     */
    public boolean allows(Class<?> type) {
        Class<?> c = Objects.requireNonNull(type, "type");
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (c.isPrimitive()) {
            return true;
        }
        if (Proxy.isProxyClass(c)) {
            for (Class<?> i : c.getInterfaces()) {
                if (!allows(i)) {
                    return false;
                }
            }
            return true;
        }
        return !verdict(c.getName(), c.getModule().getName(), true).rejected();
    }

    /**
     * Decides a class by name. When the module is not known yet ({@code moduleKnown == false},
     * before the class is loaded) a user pattern that names a module cannot be evaluated and
     * the result is {@link Outcome#NEEDS_CLASS}.
     */
    Verdict verdict(String className, String moduleName, boolean moduleKnown) {
        for (Rule r : DENY_RULES) {
            if (r.matches(className, moduleName)) {
                return new Verdict(Outcome.DENIED_BY_DEFAULT, r.token());
            }
        }
        if (ALWAYS_ALLOWED.contains(className)) {
            return new Verdict(Outcome.ALWAYS_ALLOWED, null);
        }
        for (Rule r : userRules) {
            if (r.module() != null && !moduleKnown) {
                return new Verdict(Outcome.NEEDS_CLASS, null);
            }
            if (r.matches(className, moduleName)) {
                return new Verdict(r.allow() ? Outcome.ALLOWED_BY_USER : Outcome.DENIED_BY_USER, r.token());
            }
        }
        return new Verdict(Outcome.UNDECIDED, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeserializationPolicy p && spec.equals(p.spec) && maxDepth == p.maxDepth
                && maxReferences == p.maxReferences && maxArrayLength == p.maxArrayLength
                && maxBytes == p.maxBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(spec, maxDepth, maxReferences, maxArrayLength, maxBytes);
    }

    @Override
    public String toString() {
        return "DeserializationPolicy[" + SETTING + "=\"" + spec + "\", maxdepth=" + maxDepth
                + ", maxrefs=" + maxReferences + ", maxarray=" + maxArrayLength + ", maxbytes="
                + maxBytes + "]";
    }

    enum Outcome {
        DENIED_BY_DEFAULT, DENIED_BY_USER, ALWAYS_ALLOWED, ALLOWED_BY_USER, UNDECIDED, NEEDS_CLASS;
    }

    record Verdict(Outcome outcome, String rule) {
        boolean rejected() {
            return outcome == Outcome.DENIED_BY_DEFAULT || outcome == Outcome.DENIED_BY_USER;
        }
    }

    private enum Kind { EXACT, PACKAGE, PACKAGE_TREE, PREFIX }

    /** One pattern; {@code name} is the class name, package, or prefix without the wildcard. */
    private record Rule(String token, boolean allow, String module, Kind kind, String name) {

        static Rule parse(String spec, String token, boolean builtIn) {
            if (token.chars().anyMatch(Character::isWhitespace)) {
                throw invalid(spec, token, "contains whitespace");
            }
            boolean negate = token.startsWith("!");
            String p = negate ? token.substring(1) : token;
            if (p.isEmpty()) {
                throw invalid(spec, token, "has nothing after '!'");
            }
            String module = null;
            int slash = p.indexOf('/');
            if (slash >= 0) {
                module = p.substring(0, slash);
                p = p.substring(slash + 1);
                if (!isDottedName(module)) {
                    throw invalid(spec, token, "needs a module name such as java.base before '/'");
                }
                if (p.isEmpty()) {
                    throw invalid(spec, token, "needs a class pattern after '/', e.g. '" + module + "/*'");
                }
            }
            Kind kind;
            String name;
            if (p.endsWith(".**")) {
                kind = Kind.PACKAGE_TREE;
                name = p.substring(0, p.length() - 2); // keeps the dot: com.acme.** must not match com.acmex.Y
                checkName(spec, token, name.substring(0, name.length() - 1));
            } else if (p.endsWith(".*")) {
                kind = Kind.PACKAGE;
                name = p.substring(0, p.length() - 2);
                checkName(spec, token, name);
            } else if (p.endsWith("*")) {
                kind = Kind.PREFIX;
                name = p.substring(0, p.length() - 1);
                if (!name.isEmpty()) {
                    checkName(spec, token, name);
                }
            } else {
                kind = Kind.EXACT;
                name = p;
                checkName(spec, token, name);
            }
            if (builtIn && (negate || module != null)) {
                throw new IllegalStateException("built-in deny patterns are plain patterns: " + token);
            }
            return new Rule(token, !negate && !builtIn, module, kind, name);
        }

        private static void checkName(String spec, String token, String name) {
            if (name.indexOf('*') >= 0) {
                throw invalid(spec, token, "has '*' before its end; '*' may only end a pattern ('*' alone matches every class)");
            }
            if (!isDottedName(name)) {
                throw invalid(spec, token, "is not a class or package name (letters, digits, '_', '$', separated by single dots)");
            }
        }

        private static boolean isDottedName(String s) {
            if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
                return false;
            }
            return s.codePoints().allMatch(c -> c == '.' || Character.isJavaIdentifierPart(c))
                    && !Character.isDigit(s.codePointAt(0));
        }

        boolean matches(String className, String moduleName) {
            if (module != null && !module.equals(moduleName)) {
                return false;
            }
            return switch (kind) {
                case EXACT -> className.equals(name);
                case PREFIX, PACKAGE_TREE -> className.startsWith(name);
                case PACKAGE -> {
                    int dot = className.lastIndexOf('.');
                    yield dot == name.length() && className.startsWith(name);
                }
            };
        }
    }
}
