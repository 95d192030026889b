package org.sessiongrid.codec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.MonthDay;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Period;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import org.sessiongrid.codec.DeserializationPolicy.Verdict;
import org.sessiongrid.codec.UnreadableAttributeException.Reason;

/**
 * Serializes session attributes one by one with Java serialization and reads them back with the
 * webapp's class loader, checking every class of the graph against a
 * {@link DeserializationPolicy} while it is read, before any of its code runs.
 *
 * <p>{@link #encode(String, Object) encode} runs where the application stores the value, so
 * its exceptions reach the application with a message naming the attribute, the class at fault
 * and the fix. {@link #decode(String, byte[], ClassLoader) decode} runs on other nodes and never
 * throws anything but {@link UnreadableAttributeException} for bad input: the store quarantines
 * that one attribute and keeps the session.
 *
 * <p>Instances hold only the immutable policy and are thread-safe.
 */
public final class AttributeCodec {

    private static final Map<String, Class<?>> PRIMITIVES = Map.of(
            "boolean", boolean.class, "byte", byte.class, "char", char.class, "short", short.class,
            "int", int.class, "long", long.class, "float", float.class, "double", double.class,
            "void", void.class);

    // Matched by exact class: BigInteger and BigDecimal are not final, and a subclass may be mutable.
    private static final Set<Class<?>> IMMUTABLE = Set.of(
            String.class, Boolean.class, Character.class, Byte.class, Short.class, Integer.class,
            Long.class, Float.class, Double.class, BigInteger.class, BigDecimal.class, UUID.class,
            Locale.class, Instant.class, LocalDate.class, LocalTime.class, LocalDateTime.class,
            OffsetDateTime.class, OffsetTime.class, ZonedDateTime.class, Duration.class, Period.class,
            Year.class, YearMonth.class, MonthDay.class);

    /*
     * ObjectInputStream may have pulled this many bytes from the source beyond what it has
     * parsed (one block-data chunk is at most 1024 bytes), so the bytes it reports as consumed
     * overstate the real position by up to that much.
     */
    private static final long READ_AHEAD_SLACK = 4096;

    private static final InvocationHandler NO_HANDLER = (proxy, method, args) -> {
        throw new UnsupportedOperationException("placeholder proxy used only to resolve a proxy class");
    };

    private final DeserializationPolicy policy;
    private final StandardForms forms;

    /**
     * @param policy the classes and limits enforced by {@link #decode} (and checked early by
     *        {@link #encode})
     */
    public AttributeCodec(DeserializationPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.forms = new StandardForms(policy.maxBytes(), allows(policy, Integer.class) && allows(policy, Number.class),
                allows(policy, Long.class) && allows(policy, Number.class));
    }

    /**
     * The filter an {@link ObjectInputStream} starts out with (the JVM-wide one, as the filter factory makes it),
     * or null. While there is one, every value goes through a stream so that it still has its say.
     */
    private static ObjectInputFilter jvmWideFilter() {
        return ObjectInputFilter.Config.getSerialFilterFactory().apply(null, ObjectInputFilter.Config.getSerialFilter());
    }

    /**
     * Whether {@link #decode} reads a value of exactly {@code type} without an {@link ObjectInputStream} at this
     * moment, for an adapter that reads its container's own stream of the same values directly and must keep the
     * same rules: {@code byte[]} and {@code String} always, {@code Integer} and {@code Long} when the policy allows
     * them and {@code Number}; nothing while a JVM-wide serial filter is set (it must see every class, so every
     * value then goes through a stream). The limits ({@code maxbytes}, {@code maxarray}, {@code maxrefs}) are the
     * caller's to check against its own stream, with {@link #policy()}.
     *
     * @param type the class of the value read
     * @return whether a value of that class may be read without a stream now
     */
    public boolean readsWithoutStream(Class<?> type) {
        return forms.reads(type) && jvmWideFilter() == null;
    }

    /** Whether the policy lets {@code c} through when encoding (see {@link PolicyCheckingOutputStream}). */
    private static boolean allows(DeserializationPolicy policy, Class<?> c) {
        return !policy.verdict(c.getName(), c.getModule().getName(), true).rejected();
    }

    /** @return the policy this codec enforces */
    public DeserializationPolicy policy() {
        return policy;
    }

    /**
     * Serializes one attribute value.
     *
     * <p>Besides plain serializability this checks that the other nodes will accept the value:
     * a class that the policy's class rules reject, or a serialized form larger than
     * {@code maxbytes}, fails here, where the application can still react, instead of being
     * quarantined on every other node.
     *
     * @param name the attribute name, used in messages
     * @param value the value; {@code null} is encoded and decodes to {@code null}
     * @return the Java-serialized form
     * @throws NotSerializableAttributeException if the value or an object it references is not
     *         {@link Serializable}; the message names the attribute, the value's class, the
     *         offending class and, where it can be found, the field path to it
     * @throws AttributeTooLargeException if the serialized form exceeds {@code maxbytes}
     * @throws AttributeEncodingException if the value contains a class the policy rejects, or its
     *         own serialization code fails
     */
    public byte[] encode(String name, Object value) {
        return encode(name, value, 0);
    }

    /**
     * Serializes one attribute value, as {@link #encode(String, Object)}, into a buffer that starts
     * at {@code expectedBytes}. Pass the length of the attribute's previous serialized form when it
     * is known: re-serializing an attribute at the end of every request is the common case, and a
     * value whose serialized length did not change (an unchanged value, or one changed in place,
     * such as a counter) is then returned without growing or trimming any buffer. A wrong guess
     * costs only what {@link #encode(String, Object)} costs anyway (the buffer starts at the hint, at
     * most {@code maxbytes}, and doubles while it is too small).
     *
     * @param name the attribute name, used in messages
     * @param value the value; {@code null} is encoded and decodes to {@code null}
     * @param expectedBytes the expected length of the serialized form; {@code 0} or less: unknown
     * @return the Java-serialized form
     * @throws NotSerializableAttributeException see {@link #encode(String, Object)}
     * @throws AttributeTooLargeException see {@link #encode(String, Object)}
     * @throws AttributeEncodingException see {@link #encode(String, Object)}
     */
    public byte[] encode(String name, Object value, int expectedBytes) {
        Objects.requireNonNull(name, "name");
        byte[] standard = forms.encode(value);
        if (standard != null) {
            return standard;
        }
        String valueType = value == null ? "null" : value.getClass().getName();
        CappedBuffer buffer = new CappedBuffer(policy.maxBytes(), expectedBytes > 0 ? expectedBytes : DEFAULT_BUFFER_BYTES);
        PolicyCheckingOutputStream out;
        try {
            out = new PolicyCheckingOutputStream(buffer, policy);
            out.writeObject(value);
            out.close();
        } catch (NotSerializableException e) {
            String offending = firstLine(e.getMessage());
            throw new NotSerializableAttributeException(name, valueType, offending, locate(value, offending), e);
        } catch (IOException | RuntimeException e) {
            throw new AttributeEncodingException(name, valueType, "attribute '" + name + "' (" + valueType
                    + ") could not be serialized: " + e + "; check the writeObject/writeReplace methods of"
                    + " the classes it contains, and that no other thread modifies it while the request"
                    + " completes", e);
        } catch (StackOverflowError e) {
            throw new AttributeEncodingException(name, valueType, "attribute '" + name + "' (" + valueType
                    + ") is nested too deeply to serialize (StackOverflowError), typically a long chain of"
                    + " linked objects; store the data in a flat collection instead", null);
        }
        if (out.violation != null) {
            throw new AttributeEncodingException(name, valueType, "attribute '" + name + "' (" + valueType
                    + ") would be quarantined by every node that reads it: " + out.violation, null);
        }
        if (buffer.size() > policy.maxBytes()) {
            throw new AttributeTooLargeException(name, valueType, buffer.size(), policy.maxBytes());
        }
        return buffer.toByteArray();
    }

    /**
     * Deserializes one attribute value, resolving classes (and dynamic proxy interfaces) with
     * {@code loader} and checking every class of the graph, and the limits, against the policy
     * while reading. A JVM-wide serial filter ({@code jdk.serialFilter}), if configured, is
     * applied as well; whichever rejects first wins.
     *
     * @param name the attribute name, used in messages
     * @param bytes the output of {@link #encode}
     * @param loader the webapp class loader of this node
     * @return the value (possibly {@code null})
     * @throws UnreadableAttributeException if the attribute cannot be read; its
     *         {@link UnreadableAttributeException#reason() reason} tells why and its message names
     *         the class involved and the fix. Malformed input never causes any other exception
     *         or error; only an environmental {@link VirtualMachineError} such as
     *         {@link OutOfMemoryError} passes through (the limits keep a record from allocating
     *         much more than its own size in arrays).
     */
    public Object decode(String name, byte[] bytes, ClassLoader loader) throws UnreadableAttributeException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(loader, "loader (pass the webapp class loader)");
        if (bytes.length > policy.maxBytes()) {
            throw new UnreadableAttributeException(name, Reason.TOO_LARGE, null, "attribute '" + name
                    + "' is " + bytes.length + " bytes, over maxbytes=" + policy.maxBytes() + " of "
                    + DeserializationPolicy.SETTING + "; raise 'maxbytes=N' in that setting, the same on"
                    + " every node", null);
        }
        // Under lower limits than these the stream's filter refuses some standard forms: it decides them all.
        if (jvmWideFilter() == null && policy.maxReferences() >= StandardForms.MIN_REFERENCES
                && policy.maxDepth() >= StandardForms.MIN_DEPTH) {
            Object standard = forms.decode(bytes, policy.maxArrayLength());
            if (standard != null) {
                return standard;
            }
        }
        ReadState state = new ReadState(name, policy, bytes.length, loader);
        ByteArrayInputStream source = new ByteArrayInputStream(bytes);
        try (FilteringInputStream in = new FilteringInputStream(source, state)) {
            Object value = in.readObject();
            // A readObject method may have caught the rejection and carried on; the graph is still tainted.
            if (state.rejection != null) {
                throw state.rejected(null);
            }
            if (source.available() > 0) {
                throw state.corrupt(source.available() + " unexpected bytes follow the serialized object", null);
            }
            return value;
        } catch (UnreadableAttributeException e) {
            throw e;
        } catch (ClassNotFoundException e) {
            throw state.rejection != null ? state.rejected(e) : state.classNotFound(e);
        } catch (InvalidClassException e) {
            throw state.rejection != null ? state.rejected(e) : state.invalidClass(e);
        } catch (InvalidObjectException e) {
            throw state.rejection != null ? state.rejected(e) : state.invalidObject(e);
        } catch (IOException | RuntimeException e) {
            throw state.rejection != null ? state.rejected(e) : state.corrupt(String.valueOf(e), e);
        } catch (NoClassDefFoundError e) {
            throw state.rejection != null ? state.rejected(e) : state.missingDependency(e);
        } catch (LinkageError e) {
            throw state.rejection != null ? state.rejected(e) : state.brokenClass(e);
        } catch (StackOverflowError e) {
            throw state.rejection != null ? state.rejected(e) : state.tooDeep(e);
        } catch (InternalError | AssertionError e) {
            // Library code signals "impossible" states this way, e.g. a forged immutable Map of odd
            // length (ImmutableCollections.MapN: "length is odd"), or an assert in a readObject.
            throw state.rejection != null ? state.rejected(e) : state.corrupt(String.valueOf(e), e);
        }
    }

    /**
     * A 64-bit hash of an encoded attribute, to detect at request end whether a mutable
     * attribute changed since it was read (same bytes, same hash). The algorithm is XXH64 with
     * seed 0. It is not cryptographic: for two different encodings the chance of equal hashes is
     * about 2<sup>-64</sup> (one in 1.8&times;10<sup>19</sup>), negligible for change detection,
     * but someone who controls the content could construct a collision, which would only keep
     * their own change from replicating.
     *
     * @param encoded the output of {@link #encode}
     * @return the hash
     */
    /**
     * An {@link ObjectInputFilter} applying this codec's policy (deny list, the user's patterns,
     * limits) to a stream the caller reads itself, for containers that must keep their own stream
     * format (Jetty's {@code ClassLoadingObjectInputStream}). One filter per stream; merge it with the
     * stream's JVM-wide filter like {@link #decode} does if one is set.
     *
     * @param what        what is being read, for messages (e.g. the attribute or session)
     * @param streamBytes the length of the serialized form
     * @param loader      the class loader the stream resolves classes with
     */
    public StreamFilter streamFilter(String what, long streamBytes, ClassLoader loader) {
        ReadState state = new ReadState(what, policy, streamBytes, loader);
        return new StreamFilter() {
            @Override
            public Status checkInput(FilterInfo info) {
                return state.checkInput(info);
            }

            @Override
            public java.util.Optional<String> rejection() {
                return state.rejection == null ? java.util.Optional.empty()
                        : java.util.Optional.of(state.rejection.message());
            }
        };
    }

    /** A per-stream filter that remembers why it rejected, for the error message. */
    public interface StreamFilter extends ObjectInputFilter {
        /** The reason this filter rejected something, naming the class and the rule, if it did. */
        java.util.Optional<String> rejection();
    }

    public long hash(byte[] encoded) {
        return xxh64(Objects.requireNonNull(encoded, "encoded"));
    }

    /**
     * Whether a value can never change after it was stored, so an adapter may skip re-serializing
     * it at request end: {@code String}, the boxed primitives, {@code BigInteger} and
     * {@code BigDecimal} (exactly those classes, not subclasses), {@code UUID}, {@code Locale},
     * the {@code java.time} value types ({@code Instant}, {@code LocalDate}, {@code LocalTime},
     * {@code LocalDateTime}, {@code OffsetDateTime}, {@code OffsetTime}, {@code ZonedDateTime},
     * {@code Duration}, {@code Period}, {@code Year}, {@code YearMonth}, {@code MonthDay},
     * {@code ZoneId}/{@code ZoneOffset}) and enum constants (serialized by name only, so even an
     * enum with mutable fields serializes the same). Records are not included: their components
     * may be mutable collections.
     *
     * @param value the attribute value
     * @return {@code true} if the value is known to be immutable; {@code false} for anything else
     *         and for {@code null}
     */
    public static boolean isKnownImmutable(Object value) {
        return value != null
                && (IMMUTABLE.contains(value.getClass()) || value instanceof Enum<?> || value instanceof ZoneId);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown class";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }

    /**
     * Finds where an object of the class serialization choked on sits in the value, breadth
     * first, for the error message. Best effort and bounded: it reads fields of application
     * classes and walks JDK collections through their public API, and gives up after 100,000
     * objects.
     */
    private static String locate(Object root, String className) {
        record Step(Object object, String path) {
            String child(String field) {
                return path.isEmpty() ? field : path + "." + field;
            }
        }
        Deque<Step> queue = new ArrayDeque<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        queue.add(new Step(root, ""));
        int budget = 100_000;
        while (!queue.isEmpty() && budget-- > 0) {
            Step step = queue.poll();
            Object o = step.object();
            if (o == null || !seen.add(o)) {
                continue;
            }
            Class<?> c = o.getClass();
            if (c.getName().equals(className)) {
                return step.path();
            }
            if (!(o instanceof Serializable)) {
                continue;
            }
            try {
                if (c.isArray()) {
                    if (!c.getComponentType().isPrimitive()) {
                        Object[] array = (Object[]) o;
                        for (int i = 0; i < array.length; i++) {
                            queue.add(new Step(array[i], step.path() + "[" + i + "]"));
                        }
                    }
                    continue;
                }
                if (o instanceof Map<?, ?> map) {
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        queue.add(new Step(e.getKey(), step.path() + "[key]"));
                        queue.add(new Step(e.getValue(), step.path() + "[value]"));
                    }
                } else if (o instanceof List<?> list) {
                    int i = 0;
                    for (Object e : list) {
                        queue.add(new Step(e, step.path() + "[" + i++ + "]"));
                    }
                } else if (o instanceof Collection<?> collection) {
                    for (Object e : collection) {
                        queue.add(new Step(e, step.path() + "[element]"));
                    }
                }
                // JDK classes (named modules) keep their fields closed to reflection; application classes don't.
                for (Class<?> k = c; k != null && !k.getModule().isNamed(); k = k.getSuperclass()) {
                    for (Field f : k.getDeclaredFields()) {
                        int m = f.getModifiers();
                        if (Modifier.isStatic(m) || Modifier.isTransient(m) || f.getType().isPrimitive()
                                || !f.trySetAccessible()) {
                            continue;
                        }
                        queue.add(new Step(f.get(o), step.child(f.getName())));
                    }
                }
            } catch (RuntimeException | IllegalAccessException e) {
                // Modified concurrently or not walkable; the message just gets less precise.
            }
        }
        return null;
    }

    // XXH64 (seed 0), as specified at https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private static long xxh64(byte[] b) {
        int len = b.length;
        int i = 0;
        long h;
        if (len >= 32) {
            long v1 = P1 + P2;
            long v2 = P2;
            long v3 = 0;
            long v4 = -P1;
            for (int limit = len - 32; i <= limit; i += 32) {
                v1 = round(v1, (long) LONGS.get(b, i));
                v2 = round(v2, (long) LONGS.get(b, i + 8));
                v3 = round(v3, (long) LONGS.get(b, i + 16));
                v4 = round(v4, (long) LONGS.get(b, i + 24));
            }
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = P5;
        }
        h += len;
        for (; i + 8 <= len; i += 8) {
            h ^= round(0, (long) LONGS.get(b, i));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (i + 4 <= len) {
            h ^= ((int) INTS.get(b, i) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += 4;
        }
        for (; i < len; i++) {
            h ^= (b[i] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long acc, long input) {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
    }

    private static long merge(long acc, long v) {
        return (acc ^ round(0, v)) * P1 + P4;
    }

    private static String describeRejection(Verdict verdict, String className, DeserializationPolicy policy,
            boolean reading) {
        if (verdict.outcome() == DeserializationPolicy.Outcome.DENIED_BY_DEFAULT) {
            return "class " + className + " is on SessionGrid's built-in deny list of known deserialization"
                    + " gadgets (entry '" + verdict.rule() + "'), which no setting overrides; no session"
                    + " attribute should contain it, store plain data instead"
                    + (reading ? ". If the application never stores it, the record was forged: check who"
                            + " can reach the cluster network" : "");
        }
        return "class " + className + " is rejected by pattern '" + verdict.rule() + "' of "
                + DeserializationPolicy.SETTING + " \"" + policy.spec() + "\"; if it belongs in the session,"
                + " add a pattern allowing it before '" + verdict.rule() + "' in that setting on every node";
    }

    /**
     * Where {@link #encode(String, Object)} starts without a size hint: enough for the small values
     * most attributes are, and the buffer doubles from there (ObjectOutputStream passes its output on
     * in small pieces, about one per object written, so growth by what a piece needs would copy the
     * buffer again and again).
     */
    private static final int DEFAULT_BUFFER_BYTES = 256;

    /** Collects bytes up to the limit and only counts beyond it, so a huge value cannot exhaust the heap here. */
    private static final class CappedBuffer extends OutputStream {
        private final long limit;
        private byte[] data;
        private long size;

        CappedBuffer(long limit, int initialCapacity) {
            this.limit = limit;
            this.data = new byte[(int) Math.max(1, Math.min(initialCapacity, limit))];
        }

        @Override
        public void write(int b) {
            if (size < limit) {
                ensure(size + 1);
                data[(int) size] = (byte) b;
            }
            size++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            long storable = Math.min(len, Math.max(0, limit - size));
            if (storable > 0) {
                ensure(size + storable);
                System.arraycopy(b, off, data, (int) size, (int) storable);
            }
            size += len;
        }

        private void ensure(long needed) {
            if (needed > data.length) {
                long grown = Math.max(needed, Math.min((long) data.length * 2, limit));
                data = Arrays.copyOf(data, (int) grown);
            }
        }

        long size() {
            return size;
        }

        /** The bytes written: the buffer itself when it is exactly full, so a right guess costs no copy. */
        byte[] toByteArray() {
            return size == data.length ? data : Arrays.copyOf(data, (int) size);
        }
    }

    /**
     * Records the first class the policy would reject on read. It records rather than throws,
     * because ObjectOutputStream serializes a failure into the stream itself and an exception
     * from this hook would then replace the original one.
     */
    private static final class PolicyCheckingOutputStream extends ObjectOutputStream {
        private final DeserializationPolicy policy;
        String violation;

        PolicyCheckingOutputStream(OutputStream out, DeserializationPolicy policy) throws IOException {
            super(out);
            this.policy = policy;
        }

        @Override
        protected void annotateClass(Class<?> cl) {
            check(cl);
        }

        @Override
        protected void annotateProxyClass(Class<?> cl) {
            for (Class<?> i : cl.getInterfaces()) {
                check(i);
            }
        }

        private void check(Class<?> cl) {
            Class<?> c = cl;
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (violation != null || c.isPrimitive()) {
                return;
            }
            Verdict v = policy.verdict(c.getName(), c.getModule().getName(), true);
            if (v.rejected()) {
                violation = describeRejection(v, c.getName(), policy, false);
            }
        }
    }

    /** What went wrong while reading one attribute, and the messages for it. */
    private static final class ReadState implements ObjectInputFilter {
        private final String attribute;
        private final DeserializationPolicy policy;
        private final long totalBytes;
        private final ClassLoader loader;
        Rejection rejection;
        private String missingClass;

        record Rejection(Reason reason, String className, String message) {
        }

        ReadState(String attribute, DeserializationPolicy policy, long totalBytes, ClassLoader loader) {
            this.attribute = attribute;
            this.policy = policy;
            this.totalBytes = totalBytes;
            this.loader = loader;
        }

        /** Rejects a denied class by name before it is even loaded (and reports it as rejected, not missing). */
        void precheck(String name) throws InvalidClassException {
            String component = name;
            if (component.startsWith("[")) {
                int dims = 0;
                while (dims < component.length() && component.charAt(dims) == '[') {
                    dims++;
                }
                if (!(component.startsWith("L", dims) && component.endsWith(";"))) {
                    return; // a primitive array
                }
                component = component.substring(dims + 1, component.length() - 1);
            }
            Verdict v = policy.verdict(component, null, false);
            if (v.rejected()) {
                reject(Reason.REJECTED_BY_FILTER, component, describeRejection(v, component, policy, true));
                throw new InvalidClassException(component, "rejected by " + DeserializationPolicy.SETTING);
            }
        }

        @Override
        public Status checkInput(FilterInfo info) {
            Class<?> cl = info.serialClass();
            String className = cl == null ? null : cl.getName();
            String at = className == null ? "" : " (at class " + className + ")";
            if (info.depth() > policy.maxDepth()) {
                return limit(className, "maxdepth", policy.maxDepth(), "object graph is nested " + info.depth() + " levels deep" + at);
            }
            if (info.references() > policy.maxReferences()) {
                return limit(className, "maxrefs", policy.maxReferences(), "object graph has more than " + policy.maxReferences() + " objects and references" + at);
            }
            if (info.streamBytes() > policy.maxBytes()) {
                return limit(className, "maxbytes", policy.maxBytes(), "serialized form is longer than " + policy.maxBytes() + " bytes");
            }
            if (cl == null) {
                return Status.UNDECIDED;
            }
            Class<?> c = cl;
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (cl.isArray() && info.arrayLength() >= 0) {
                if (info.arrayLength() > policy.maxArrayLength()) {
                    return limit(c.getName(), "maxarray", policy.maxArrayLength(), "object graph contains an array of "
                            + info.arrayLength() + " elements of " + cl.getComponentType().getName());
                }
                // A primitive array's elements are all in the stream, so a length the remaining bytes
                // cannot hold is forged; refusing it stops a tiny record from allocating gigabytes.
                // Reference arrays are exempt: JDK collections (Collections.nCopies) legitimately
                // pre-size arrays far beyond their serialized size.
                long elementBytes = elementBytes(cl.getComponentType());
                long remaining = Math.max(0, totalBytes - info.streamBytes()) + READ_AHEAD_SLACK;
                if (elementBytes > 0 && info.arrayLength() * elementBytes > remaining) {
                    reject(Reason.CORRUPT, cl.getComponentType().getName(), "attribute '" + attribute
                            + "' could not be deserialized: the stream declares a " + cl.getComponentType().getName()
                            + " array of " + info.arrayLength() + " elements but only " + (totalBytes - info.streamBytes())
                            + " bytes remain; the record is corrupt or forged");
                    return Status.REJECTED;
                }
            }
            // A proxy's generated class name means nothing; its interfaces and handler are checked on their own.
            if (c.isPrimitive() || Proxy.isProxyClass(c)) {
                return Status.UNDECIDED;
            }
            Verdict v = policy.verdict(c.getName(), c.getModule().getName(), true);
            switch (v.outcome()) {
                case DENIED_BY_DEFAULT, DENIED_BY_USER -> {
                    reject(Reason.REJECTED_BY_FILTER, c.getName(), describeRejection(v, c.getName(), policy, true));
                    return Status.REJECTED;
                }
                case ALWAYS_ALLOWED, ALLOWED_BY_USER -> {
                    return Status.ALLOWED;
                }
                default -> {
                    // Allowed by default; UNDECIDED lets a stricter JVM-wide filter still say no.
                    return Status.UNDECIDED;
                }
            }
        }

        private static long elementBytes(Class<?> component) {
            if (!component.isPrimitive()) {
                return 0;
            }
            return switch (component.getName()) {
                case "long", "double" -> 8;
                case "int", "float" -> 4;
                case "short", "char" -> 2;
                default -> 1;
            };
        }

        private Status limit(String className, String name, long value, String what) {
            reject(Reason.REJECTED_BY_FILTER, className, "attribute '" + attribute + "' was not deserialized: its "
                    + what + ", over " + name + "="
                    + value + " of " + DeserializationPolicy.SETTING + "; if the attribute is legitimate, raise '"
                    + name + "=N' in that setting on every node");
            return Status.REJECTED;
        }

        ObjectInputFilter recordingJvmWide(ObjectInputFilter jvmWide) {
            return info -> {
                Status status = jvmWide.checkInput(info);
                if (status == Status.REJECTED) {
                    Class<?> cl = info.serialClass();
                    String name = cl == null ? null : cl.getName();
                    reject(Reason.REJECTED_BY_FILTER, name, "attribute '" + attribute + "' was not deserialized: "
                            + (name == null ? "a limit" : "class " + name) + " was rejected by the JVM-wide serial"
                            + " filter (jdk.serialFilter, or ObjectInputFilter.Config in the container); allow it"
                            + " there, or keep it out of the session");
                }
                return status;
            };
        }

        void reject(Reason reason, String className, String message) {
            if (rejection == null) {
                String full = message.startsWith("attribute '") ? message
                        : "attribute '" + attribute + "' was not deserialized: " + message;
                rejection = new Rejection(reason, className, full);
            }
        }

        void noteMissing(String name) {
            if (missingClass == null) {
                missingClass = name;
            }
        }

        UnreadableAttributeException rejected(Throwable cause) {
            return new UnreadableAttributeException(attribute, rejection.reason(), rejection.className(),
                    rejection.message(), cause);
        }

        UnreadableAttributeException classNotFound(ClassNotFoundException e) {
            String name = missingClass != null ? missingClass : e.getMessage();
            return new UnreadableAttributeException(attribute, Reason.CLASS_NOT_FOUND, name, "attribute '" + attribute
                    + "' could not be deserialized: class " + name + " is not visible to the webapp class loader ("
                    + describe(loader) + (e.getCause() == null ? "" : ", which failed with " + e.getCause()) + "); deploy the same application version on every node, with " + name
                    + " in WEB-INF/classes or WEB-INF/lib (or the container's shared lib)", e);
        }

        UnreadableAttributeException missingDependency(NoClassDefFoundError e) {
            String name = e.getMessage() == null ? null : e.getMessage().replace('/', '.');
            return new UnreadableAttributeException(attribute, Reason.CLASS_NOT_FOUND, name, "attribute '" + attribute
                    + "' could not be deserialized: class " + name + ", needed by a class in the attribute, is not"
                    + " visible to the webapp class loader (" + describe(loader) + "); deploy the same application"
                    + " version, with all its libraries, on every node", e);
        }

        UnreadableAttributeException invalidClass(InvalidClassException e) {
            if (e.getMessage() != null && e.getMessage().contains("filter status: REJECTED")) {
                // Rejected by a filter we did not install: a JVM-wide serial filter factory.
                return new UnreadableAttributeException(attribute, Reason.REJECTED_BY_FILTER, e.classname,
                        "attribute '" + attribute + "' was not deserialized: rejected by the JVM-wide serial filter"
                        + " (jdk.serialFilter or jdk.serialFilterFactory); allow the classes there, or keep them"
                        + " out of the session", e);
            }
            // Without a class name it is the stream's structure that is wrong, not a class version.
            return e.classname == null ? corrupt(String.valueOf(e), e) : incompatible(e.classname, e.getMessage(), e);
        }

        UnreadableAttributeException invalidObject(InvalidObjectException e) {
            String message = String.valueOf(e.getMessage());
            // ObjectInputStream's wording for an enum constant the local class no longer has.
            if (message.startsWith("enum constant ")) {
                int in = message.lastIndexOf(" in ");
                String type = in < 0 ? null : message.substring(in + 4).replaceFirst("^(class|enum|interface) ", "");
                return incompatible(type, message, e);
            }
            return corrupt(String.valueOf(e), e);
        }

        UnreadableAttributeException brokenClass(LinkageError e) {
            return incompatible(null, String.valueOf(e), e);
        }

        private UnreadableAttributeException incompatible(String className, String detail, Throwable cause) {
            String subject = className == null ? "a class in the attribute" : "class " + className;
            return new UnreadableAttributeException(attribute, Reason.INCOMPATIBLE_CLASS, className, "attribute '"
                    + attribute + "' could not be deserialized: " + subject + " on this node does not match the one"
                    + " that wrote it (" + detail + "); deploy the same version on every node, and give"
                    + " serializable classes an explicit, stable serialVersionUID", cause);
        }

        UnreadableAttributeException corrupt(String detail, Throwable cause) {
            return new UnreadableAttributeException(attribute, Reason.CORRUPT, null, "attribute '" + attribute
                    + "' could not be deserialized: the serialized bytes are invalid (" + detail + "); the record is"
                    + " corrupt or forged, or a readObject/readResolve method of a class in it failed", cause);
        }

        UnreadableAttributeException tooDeep(StackOverflowError e) {
            return new UnreadableAttributeException(attribute, Reason.TOO_LARGE, null, "attribute '" + attribute
                    + "' could not be deserialized: its object graph is nested too deeply for this thread's stack;"
                    + " lower maxdepth (now " + policy.maxDepth() + ") in " + DeserializationPolicy.SETTING
                    + ", or store the data in a flatter structure", e);
        }

        private static String describe(ClassLoader loader) {
            return loader.getName() == null ? loader.getClass().getName()
                    : loader.getClass().getName() + " '" + loader.getName() + "'";
        }
    }

    /** Resolves with the given loader and checks every class, including proxy interfaces, against the policy. */
    private static final class FilteringInputStream extends ObjectInputStream {
        private final ReadState state;

        FilteringInputStream(InputStream in, ReadState state) throws IOException {
            super(in);
            this.state = state;
            // The stream starts out with the JVM-wide filter; setting ours would replace it, so merge.
            ObjectInputFilter jvmWide = getObjectInputFilter();
            setObjectInputFilter(jvmWide == null ? state
                    : ObjectInputFilter.merge(state, state.recordingJvmWide(jvmWide)));
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            String name = desc.getName();
            state.precheck(name);
            Class<?> primitive = PRIMITIVES.get(name);
            return primitive != null ? primitive : load(name);
        }

        private Class<?> load(String name) throws ClassNotFoundException {
            try {
                return Class.forName(name, false, state.loader);
            } catch (ClassNotFoundException e) {
                state.noteMissing(name);
                throw e;
            } catch (RuntimeException e) {
                // A loader that refuses to load (e.g. Tomcat's after the webapp stopped) is a class
                // resolution problem, not a corrupt record.
                state.noteMissing(name);
                throw new ClassNotFoundException(name, e);
            }
        }

        @Override
        protected Class<?> resolveProxyClass(String[] interfaces) throws IOException, ClassNotFoundException {
            for (String name : interfaces) {
                state.precheck(name);
            }
            Class<?>[] classes = new Class<?>[interfaces.length];
            ClassLoader nonPublicLoader = null;
            boolean hasNonPublic = false;
            for (int i = 0; i < interfaces.length; i++) {
                classes[i] = load(interfaces[i]);
                // Like the JDK: a non-public interface pins the proxy to its own loader.
                if (!Modifier.isPublic(classes[i].getModifiers())) {
                    if (hasNonPublic && nonPublicLoader != classes[i].getClassLoader()) {
                        throw new InvalidClassException(interfaces[i], "non-public proxy interfaces from different class loaders");
                    }
                    nonPublicLoader = classes[i].getClassLoader();
                    hasNonPublic = true;
                }
            }
            try {
                // newProxyInstance(...).getClass() instead of the deprecated Proxy.getProxyClass.
                return Proxy.newProxyInstance(hasNonPublic ? nonPublicLoader : state.loader, classes, NO_HANDLER).getClass();
            } catch (IllegalArgumentException e) {
                throw new ClassNotFoundException("cannot define a proxy for " + Arrays.toString(interfaces), e);
            }
        }
    }
}
