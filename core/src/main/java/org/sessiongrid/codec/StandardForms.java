package org.sessiongrid.codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamConstants;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The Java-serialized forms of the commonest attribute values, written directly: byte arrays, strings of
 * ASCII characters (1 to 127) up to 65,535 long, {@code Integer} and {@code Long}. The bytes are exactly
 * those {@link ObjectOutputStream} writes for the value as the only object of a stream, so no reader can
 * tell them apart; writing them skips the stream's setup (its buffers, handle table and class descriptor
 * look-ups), which costs more than a small value itself, and an attribute is serialized up to three times
 * per request (at {@code setAttribute}, at the commit, and again at the request's end for a mutable value).
 *
 * <p>The forms that carry a class descriptor are taken from {@link ObjectOutputStream} itself when the
 * class loads, and each is checked against it for a second value; a form that does not match is not used
 * (the caller serializes as before). Instances hold which of the boxed forms the policy allows, since their
 * class descriptors name classes the policy checks at encoding ({@code Integer}, {@code Long},
 * {@code Number}); a byte array's component is primitive and a string has no descriptor, so the policy
 * checks nothing for them. Reading is the mirror image: a stream that is exactly one of these forms is read
 * without an {@link ObjectInputStream} (a read on a member that is not the session's primary decodes every
 * attribute that changed). Immutable and thread-safe.
 */
final class StandardForms {

    /** The stream of {@code new byte[0]} without its 4-byte length; null if it could not be confirmed. */
    private static final byte[] BYTE_ARRAY = prefix(new byte[0], new byte[] {7, 8, 9}, 4);
    /** The stream of {@code Integer 0} without its 4-byte value; null if it could not be confirmed. */
    private static final byte[] INTEGER = prefix(0, 0x01020304, 4);
    /** The stream of {@code Long 0} without its 8-byte value; null if it could not be confirmed. */
    private static final byte[] LONG = prefix(0L, 0x0102030405060708L, 8);
    private static final int HEADER = 4;

    /**
     * The least {@code maxrefs} under which {@link ObjectInputStream}'s filter passes every standard form: it
     * counts an array's or a boxed value's class descriptor besides the object.
     */
    static final long MIN_REFERENCES = 2;
    /** The least {@code maxdepth} likewise: a boxed value's superclass, {@code Number}, is read at depth 2. */
    static final long MIN_DEPTH = 2;

    private final long maxBytes;
    private final boolean integers;
    private final boolean longs;

    /**
     * @param maxBytes the largest serialized form allowed; a larger value gets no standard form (the caller's
     *        own serialization reports it)
     * @param integers whether the policy allows {@code Integer} and {@code Number}
     * @param longs whether the policy allows {@code Long} and {@code Number}
     */
    StandardForms(long maxBytes, boolean integers, boolean longs) {
        this.maxBytes = maxBytes;
        this.integers = integers && INTEGER != null;
        this.longs = longs && LONG != null;
    }

    /** Whether {@link #decode} reads values of exactly {@code type} (the policy and the confirmed forms permitting). */
    boolean reads(Class<?> type) {
        if (type == byte[].class) {
            return BYTE_ARRAY != null;
        }
        if (type == Integer.class) {
            return integers;
        }
        if (type == Long.class) {
            return longs;
        }
        return type == String.class;
    }

    /** The serialized form of {@code value}, or null if it has no standard form here. */
    byte[] encode(Object value) {
        if (value instanceof byte[] b) {
            return BYTE_ARRAY == null || BYTE_ARRAY.length + 4L + b.length > maxBytes ? null : byteArray(b);
        }
        if (value instanceof String s) {
            return string(s);
        }
        if (value instanceof Integer i) {
            return integers ? withValue(INTEGER, i, 4) : null;
        }
        if (value instanceof Long l) {
            return longs ? withValue(LONG, l, 8) : null;
        }
        return null;
    }

    /**
     * The value of {@code bytes} if they are exactly one of the standard forms, as {@link ObjectInputStream}
     * would read it; null if they are anything else (the caller reads them with a stream, which also reports
     * what is wrong with them). A byte array longer than {@code maxArray} and a boxed value the policy does not
     * allow get null too, so that the stream's filter refuses them with its usual error; so must limits of
     * {@code maxrefs} and {@code maxdepth} below {@link #MIN_REFERENCES} and {@link #MIN_DEPTH} (the caller's).
     */
    Object decode(byte[] bytes, long maxArray) {
        int n = bytes.length;
        if (n <= HEADER + 2 || !hasHeader(bytes)) {
            return null;
        }
        if (bytes[HEADER] == ObjectStreamConstants.TC_STRING) {
            return string(bytes);
        }
        if (BYTE_ARRAY != null && n >= BYTE_ARRAY.length + 4 && startsWith(bytes, BYTE_ARRAY)) {
            long length = getBigEndian(bytes, BYTE_ARRAY.length, 4);
            int at = BYTE_ARRAY.length + 4;
            return length == n - at && length <= maxArray ? Arrays.copyOfRange(bytes, at, n) : null;
        }
        if (integers && n == INTEGER.length + 4 && startsWith(bytes, INTEGER)) {
            return (int) getBigEndian(bytes, INTEGER.length, 4);
        }
        if (longs && n == LONG.length + 8 && startsWith(bytes, LONG)) {
            return getBigEndian(bytes, LONG.length, 8);
        }
        return null;
    }

    /** A string of characters 1 to 127 after TC_STRING and its length, or null (any other modified UTF-8). */
    private static String string(byte[] bytes) {
        int length = ((bytes[HEADER + 1] & 0xFF) << 8) | (bytes[HEADER + 2] & 0xFF);
        int at = HEADER + 3;
        if (length != bytes.length - at) {
            return null;
        }
        for (int i = at; i < bytes.length; i++) {
            if (bytes[i] <= 0) {
                return null;
            }
        }
        return new String(bytes, at, length, StandardCharsets.US_ASCII);
    }

    private static boolean hasHeader(byte[] bytes) {
        return bytes[0] == (byte) (ObjectStreamConstants.STREAM_MAGIC >>> 8)
                && bytes[1] == (byte) ObjectStreamConstants.STREAM_MAGIC
                && bytes[2] == (byte) (ObjectStreamConstants.STREAM_VERSION >>> 8)
                && bytes[3] == (byte) ObjectStreamConstants.STREAM_VERSION;
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static long getBigEndian(byte[] in, int at, int width) {
        long value = 0;
        for (int i = 0; i < width; i++) {
            value = (value << 8) | (in[at + i] & 0xFF);
        }
        return value;
    }

    private static byte[] byteArray(byte[] b) {
        byte[] out = Arrays.copyOf(BYTE_ARRAY, BYTE_ARRAY.length + 4 + b.length);
        putBigEndian(out, BYTE_ARRAY.length, b.length, 4);
        System.arraycopy(b, 0, out, BYTE_ARRAY.length + 4, b.length);
        return out;
    }

    /** TC_STRING with a 2-byte length and modified UTF-8, which for characters 1 to 127 is one byte each. */
    private byte[] string(String s) {
        int n = s.length();
        if (n > 0xFFFF || HEADER + 3L + n > maxBytes) {
            return null;
        }
        byte[] out = new byte[HEADER + 3 + n];
        header(out);
        out[HEADER] = ObjectStreamConstants.TC_STRING;
        out[HEADER + 1] = (byte) (n >>> 8);
        out[HEADER + 2] = (byte) n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7F) {
                return null;
            }
            out[HEADER + 3 + i] = (byte) c;
        }
        return out;
    }

    private byte[] withValue(byte[] prefix, long value, int width) {
        if (prefix.length + width > maxBytes) {
            return null;
        }
        byte[] out = Arrays.copyOf(prefix, prefix.length + width);
        putBigEndian(out, prefix.length, value, width);
        return out;
    }

    private static void header(byte[] out) {
        out[0] = (byte) (ObjectStreamConstants.STREAM_MAGIC >>> 8);
        out[1] = (byte) ObjectStreamConstants.STREAM_MAGIC;
        out[2] = (byte) (ObjectStreamConstants.STREAM_VERSION >>> 8);
        out[3] = (byte) ObjectStreamConstants.STREAM_VERSION;
    }

    private static void putBigEndian(byte[] out, int at, long value, int width) {
        for (int i = 0; i < width; i++) {
            out[at + i] = (byte) (value >>> (8 * (width - 1 - i)));
        }
    }

    /**
     * The stream of {@code zero} less its last {@code width} bytes (which must be zero), if that prefix
     * followed by {@code other}'s last {@code width} bytes is exactly the stream of {@code other}; else null.
     */
    private static byte[] prefix(Object zero, Object other, int width) {
        byte[] z = serialize(zero);
        byte[] o = serialize(other);
        if (z.length < width + HEADER || o.length < width) {
            return null;
        }
        byte[] prefix = Arrays.copyOf(z, z.length - width);
        for (int i = prefix.length; i < z.length; i++) {
            if (z[i] != 0) {
                return null;
            }
        }
        return Arrays.equals(prefix, 0, prefix.length, o, 0, prefix.length) ? prefix : null;
    }

    /** What {@link ObjectOutputStream} writes for {@code value} alone. */
    static byte[] serialize(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
