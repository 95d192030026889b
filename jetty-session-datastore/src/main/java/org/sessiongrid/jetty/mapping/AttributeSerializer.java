package org.sessiongrid.jetty.mapping;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectOutputStream;
import java.util.function.Predicate;

import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.util.ClassLoadingObjectInputStream;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;

/**
 * Serializes one session attribute at a time, so that the grid can version, compare and merge
 * attributes one by one.
 *
 * <p>Each value goes through Jetty's own {@link SessionData#serializeAttributes} and
 * {@link SessionData#deserializeAttributes} with a {@link ClassLoadingObjectInputStream}, so values
 * resolve exactly as with Jetty's built-in stores: webapp classes through the thread's context class
 * loader (the store calls this inside {@code SessionContext.run}), container classes such as
 * {@code SessionAuthentication} through the server's loader (Jetty issues #2932, #3597). Reading
 * goes through the grid's {@link DeserializationPolicy} (built-in gadget deny list, the user's
 * {@code deserializationFilter}, size and depth limits) as an {@link ObjectInputFilter} from core's
 * {@link AttributeCodec#streamFilter}, on top of any JVM-wide {@code jdk.serialFilter}: the same
 * rules as the Tomcat adapter, while Jetty's stream format stays. Byte arrays, ASCII strings,
 * {@code Integer} and {@code Long} values are written and read without a stream, byte for byte in
 * that format ({@link JettyStreamForms}), under the same rules.
 *
 * <p>Thread-safe: the immutable codec, and Jetty's flags per context class loader replaced whole.
 */
public final class AttributeSerializer {

    private final AttributeCodec codec;
    /** Core's rule for reading a value without a stream (the policy, a JVM-wide filter), for the direct forms. */
    private final Predicate<Class<?>> readsWithoutStream;

    /**
     * Jetty's flag for each kind of {@link JettyStreamForms} under one context class loader, as Jetty's
     * own serialization wrote it; replaced when a value is encoded under another loader.
     */
    private volatile ServerClassFlags flags;

    private record ServerClassFlags(ClassLoader loader, boolean[] serverClass) {
    }

    /**
     * @param deserializationFilter the grid setting {@code deserializationFilter}, or null for the
     *                              defaults (deny list and default limits)
     * @throws IllegalArgumentException naming the setting if the value does not parse
     */
    public AttributeSerializer(String deserializationFilter) {
        this.codec = new AttributeCodec(DeserializationPolicy.parse(deserializationFilter));
        this.readsWithoutStream = codec::readsWithoutStream;
    }

    /**
     * The serialized form of one attribute value: Jetty's stream of a session holding only this attribute.
     * Byte arrays, ASCII strings, {@code Integer} and {@code Long} values are written without an
     * {@link ObjectOutputStream}, byte for byte as it writes them ({@link JettyStreamForms}).
     *
     * @throws IOException if the value (or something it references) cannot be serialized
     */
    public byte[] encode(String name, Object value) throws IOException {
        int kind = JettyStreamForms.kindOf(value);
        if (kind >= 0) {
            byte[] direct = JettyStreamForms.encode(name, value, serverClass(kind));
            if (direct != null) {
                return direct;
            }
        }
        SessionData one = carrier();
        one.setAttribute(name, value);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            SessionData.serializeAttributes(one, out);
        }
        return bytes.toByteArray();
    }

    /**
     * True if {@code bytes} are what {@link #encode} writes for {@code name} = {@code value} now, known without
     * writing them (for the values {@link JettyStreamForms} writes directly, compared in place); false when they
     * differ or it cannot tell without encoding.
     */
    public boolean encodesTo(byte[] bytes, String name, Object value) throws IOException {
        int kind = JettyStreamForms.kindOf(value);
        return kind >= 0 && JettyStreamForms.matches(bytes, name, value, serverClass(kind));
    }

    /**
     * Jetty's flag for a value of {@code kind} under the calling thread's context class loader: whether
     * it is to be read with the server's class loader. Taken from Jetty's own serialization once per
     * loader, for all kinds at once: Jetty decides it by asking the loader for the value's class.
     */
    private boolean serverClass(int kind) throws IOException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        ServerClassFlags f = flags;
        if (f == null || f.loader() != loader) {
            boolean[] serverClass = new boolean[JettyStreamForms.KINDS];
            String name = "a";
            for (int k = 0; k < serverClass.length; k++) {
                byte[] jetty = JettyStreamForms.jettyStream(name, JettyStreamForms.sample(k));
                serverClass[k] = jetty[JettyStreamForms.flagOffset(name)] != 0;
            }
            f = new ServerClassFlags(loader, serverClass);
            flags = f;
        }
        return f.serverClass()[kind];
    }

    /**
     * Reads back a value written by {@link #encode}, resolving classes with the calling thread's
     * context class loader. The direct forms of {@link JettyStreamForms} (byte arrays, ASCII strings,
     * {@code Integer} and {@code Long}) are read without a stream, under the same rules as core's
     * ({@link AttributeCodec#readsWithoutStream}, the policy's limits); anything else, and everything while
     * a JVM-wide serial filter is set, through Jetty's stream.
     *
     * @throws RejectedAttributeException if the policy refused a class or a limit (the message
     *                                    names the class or limit and the setting)
     * @throws IOException                if the bytes are corrupt
     * @throws ClassNotFoundException     if a class of the value is not visible to the webapp
     */
    public Object decode(String name, byte[] bytes) throws IOException, ClassNotFoundException {
        DeserializationPolicy policy = codec.policy();
        // Within these limits the stream's filter passes every direct form (it counts bytes, references and
        // depth as it reads); beyond them the stream decides.
        if (bytes.length <= policy.maxBytes() && policy.maxReferences() >= JettyStreamForms.MIN_REFERENCES
                && policy.maxDepth() >= JettyStreamForms.MIN_DEPTH) {
            Object direct = JettyStreamForms.decode(name, bytes, policy.maxArrayLength(), readsWithoutStream);
            if (direct != null) {
                return direct;
            }
        }
        return decodeWithStream(name, bytes);
    }

    /** {@link #decode} through Jetty's stream and the policy's filter, whatever the bytes hold. */
    Object decodeWithStream(String name, byte[] bytes) throws IOException, ClassNotFoundException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        AttributeCodec.StreamFilter filter = codec.streamFilter(name, bytes.length,
                loader != null ? loader : AttributeSerializer.class.getClassLoader());
        try (ClassLoadingObjectInputStream in = new ClassLoadingObjectInputStream(new ByteArrayInputStream(bytes))) {
            // The stream starts with the JVM-wide filter, if any: keep it, ours comes on top.
            ObjectInputFilter jvmWide = in.getObjectInputFilter();
            in.setObjectInputFilter(jvmWide == null ? filter : ObjectInputFilter.merge(filter, jvmWide));
            SessionData one = carrier();
            try {
                SessionData.deserializeAttributes(one, in);
            } catch (IOException | ClassNotFoundException | RuntimeException e) {
                if (filter.rejection().isPresent()) {
                    throw new RejectedAttributeException(filter.rejection().get() + " (SessionGrid setting "
                            + DeserializationPolicy.SETTING + ")", e);
                }
                throw e;
            }
            if (filter.rejection().isPresent()) {
                // A readObject method swallowed the rejection: the graph is still tainted.
                throw new RejectedAttributeException(filter.rejection().get() + " (SessionGrid setting "
                        + DeserializationPolicy.SETTING + ")", null);
            }
            Object value = one.getAttribute(name);
            if (value == null) {
                throw new IOException("the stored bytes of attribute '" + name + "' hold another attribute");
            }
            return value;
        }
    }

    /** True if the value can never change once stored, so its bytes need not be computed again. */
    public static boolean isKnownImmutable(Object value) {
        return AttributeCodec.isKnownImmutable(value);
    }

    private static SessionData carrier() {
        return new SessionData("", "", "", 0, 0, 0, 0);
    }

    /** The grid's deserialization policy refused a class or a limit of an attribute; an expected condition. */
    public static final class RejectedAttributeException extends IOException {
        private static final long serialVersionUID = 1L;

        RejectedAttributeException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
