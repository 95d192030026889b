package org.sessiongrid.codec;

import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
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
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

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
 * <p>The writing side is {@link AttributeEncoder}, the reading side {@link AttributeDecoder} (with the filter of
 * one read, {@link ReadState}); this class is what adapters call, and checks their arguments.
 *
 * <p>Instances hold only the immutable policy and are thread-safe.
 */
public final class AttributeCodec {

    // Matched by exact class: BigInteger and BigDecimal are not final, and a subclass may be mutable.
    private static final Set<Class<?>> IMMUTABLE = Set.of(
            String.class, Boolean.class, Character.class, Byte.class, Short.class, Integer.class,
            Long.class, Float.class, Double.class, BigInteger.class, BigDecimal.class, UUID.class,
            Locale.class, Instant.class, LocalDate.class, LocalTime.class, LocalDateTime.class,
            OffsetDateTime.class, OffsetTime.class, ZonedDateTime.class, Duration.class, Period.class,
            Year.class, YearMonth.class, MonthDay.class);

    private final DeserializationPolicy policy;
    private final AttributeEncoder encoder;
    private final AttributeDecoder decoder;

    /**
     * @param policy the classes and limits enforced by {@link #decode} (and checked early by
     *        {@link #encode})
     */
    public AttributeCodec(DeserializationPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        StandardForms forms = new StandardForms(policy.maxBytes(),
                allows(policy, Integer.class) && allows(policy, Number.class),
                allows(policy, Long.class) && allows(policy, Number.class));
        this.encoder = new AttributeEncoder(policy, forms);
        this.decoder = new AttributeDecoder(policy, forms);
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
        return decoder.readsWithoutStream(type);
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
        return encoder.encode(name, value, expectedBytes);
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
        return decoder.decode(name, bytes, loader);
    }

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
        ReadState state = decoder.streamState(what, streamBytes, loader);
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
    public long hash(byte[] encoded) {
        return Xxh64.hash(Objects.requireNonNull(encoded, "encoded"));
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
}
