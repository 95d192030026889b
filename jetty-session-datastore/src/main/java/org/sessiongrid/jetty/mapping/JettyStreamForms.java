package org.sessiongrid.jetty.mapping;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Predicate;

import org.eclipse.jetty.session.SessionData;

/**
 * The bytes Jetty's {@link SessionData#serializeAttributes} writes for a session holding one attribute whose
 * value is a byte array, a string of ASCII characters (1 to 127), an {@code Integer} or a {@code Long}, and
 * whose name is such a string of at most {@value #MAX_NAME} characters, written directly. Jetty's stream
 * holds the attribute count (an {@code Integer}), then the name and a flag (whether the value's class is to
 * be loaded by the server, not the webapp) as block data, then the value; writing it through an
 * {@link ObjectOutputStream} sets up a stream, two class descriptors and, for the flag, asks the webapp's
 * class loader for the value's class, which for {@code byte[]} fails with an exception every time.
 *
 * <p>The forms are taken from {@link ObjectOutputStream} when the class loads, by the writes
 * {@code serializeAttributes} makes, and each is checked against {@code serializeAttributes} itself for another
 * name and value; a form that does not match is not used (the caller serializes as before). The flag is the
 * caller's: it depends on the thread's context class loader ({@link AttributeSerializer} takes it from
 * {@code serializeAttributes} once per loader).
 *
 * <p>Reading is the mirror image: bytes that are exactly such a stream (either flag) are read without a
 * {@link java.io.ObjectInputStream}, which for so small a value costs far more than the value (the stream's
 * buffers, two class descriptors resolved through the webapp's loader, the filter's checks). Immutable and
 * thread-safe.
 */
final class JettyStreamForms {

    /** The longest name written directly: its block of data (length, name, flag) stays one short block. */
    static final int MAX_NAME = 250;

    /** The kinds of values with a direct form; their index into the forms. */
    static final int BYTES = 0;
    static final int STRING = 1;
    static final int INTEGER = 2;
    static final int LONG = 3;
    static final int KINDS = 4;

    private static final byte TC_BLOCKDATA = 0x77;

    /**
     * The least {@code maxrefs} under which Jetty's stream of any direct form passes the policy's filter: the
     * filter counts the count's object and class descriptors too (a {@code byte[]} or a {@code Long} needs 5).
     * Under a lower limit every value is left to the stream, which refuses what it refuses.
     */
    static final long MIN_REFERENCES = 5;
    /** The least {@code maxdepth} likewise: the count's superclass, {@code Number}, is read at depth 2. */
    static final long MIN_DEPTH = 2;

    /** Stream header and the attribute count, Integer 1, as Jetty writes them. */
    private static final byte[] HEAD = head();
    /** Per kind, the value's form without its variable part (length and content, or the number); null: none. */
    private static final byte[][] VALUE = values();
    /**
     * The value form of {@code Integer.valueOf(1)}, which is the count's own object, so Jetty writes it as a
     * reference to the count; taken from Jetty's stream, null if that does not have the expected shape.
     */
    private static final byte[] ONE = one();

    private JettyStreamForms() {
    }

    /** The kind of {@code value}, or -1 if it has no direct form. */
    static int kindOf(Object value) {
        if (value instanceof byte[]) {
            return BYTES;
        }
        if (value instanceof String) {
            return STRING;
        }
        if (value instanceof Integer) {
            return INTEGER;
        }
        return value instanceof Long ? LONG : -1;
    }

    /** A value of each kind, for taking the forms and the flags. */
    static Object sample(int kind) {
        return switch (kind) {
            case BYTES -> new byte[] {1, 2, 3};
            case STRING -> "sample";
            case INTEGER -> 0x01020304;
            default -> 0x0102030405060708L;
        };
    }

    /**
     * Where Jetty's stream of a one-attribute session named {@code name} (written directly) holds its flag.
     */
    static int flagOffset(String name) {
        return HEAD.length + 2 + 2 + name.length();
    }

    /**
     * The stream {@code serializeAttributes} writes for attribute {@code name} = {@code value} with flag
     * {@code serverClass}, or null if it has no direct form here.
     */
    static byte[] encode(String name, Object value, boolean serverClass) {
        int kind = kindOf(value);
        // Jetty writes the count as Integer.valueOf(1): the very same object as a value is written as a
        // reference to it.
        if (kind < 0 || value == (Object) Integer.valueOf(1)) {
            return null;
        }
        return write(VALUE[kind], name, value, serverClass);
    }

    /**
     * True if {@code bytes} are exactly what {@link #encode} writes for {@code name} = {@code value} with flag
     * {@code serverClass}, compared in place without writing them: a save learns that an attribute is unchanged
     * without a copy of its value. False also when the value has no direct form here.
     */
    static boolean matches(byte[] bytes, String name, Object value, boolean serverClass) {
        int kind = kindOf(value);
        if (kind < 0 || value == (Object) Integer.valueOf(1)) {
            return false;
        }
        byte[] valueHead = VALUE[kind];
        int variable = valueHead == null || !ascii(name, MAX_NAME) ? -1 : variableLength(value);
        int n = name.length();
        int at = HEAD.length;
        if (variable < 0 || bytes.length != at + 2 + 2 + n + 1 + valueHead.length + variable
                || !Arrays.equals(bytes, 0, at, HEAD, 0, at) || bytes[at] != TC_BLOCKDATA
                || (bytes[at + 1] & 0xFF) != 2 + n + 1 || get(bytes, at + 2, 2) != n) {
            return false;
        }
        at += 4;
        for (int i = 0; i < n; i++) {
            if (bytes[at++] != (byte) name.charAt(i)) {
                return false;
            }
        }
        if (bytes[at++] != (serverClass ? 1 : 0) || !startsWith(bytes, at, valueHead)) {
            return false;
        }
        at += valueHead.length;
        if (value instanceof byte[] b) {
            return get(bytes, at, 4) == b.length && Arrays.equals(bytes, at + 4, bytes.length, b, 0, b.length);
        }
        if (value instanceof String s) {
            if (get(bytes, at, 2) != s.length()) {
                return false;
            }
            at += 2;
            for (int i = 0; i < s.length(); i++) {
                if (bytes[at + i] != (byte) s.charAt(i)) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof Integer i) {
            return (int) get(bytes, at, 4) == i;
        }
        return get(bytes, at, 8) == (Long) value;
    }

    /** The length of the variable part of {@code value}'s form (length and content, or the number); -1: none. */
    private static int variableLength(Object value) {
        if (value instanceof byte[] b) {
            return 4 + b.length;
        }
        if (value instanceof String s) {
            return s.isEmpty() || ascii(s, 0xFFFF) ? 2 + s.length() : -1;
        }
        return value instanceof Integer ? 4 : 8;
    }

    /** {@link #encode} with the value form {@code valueHead}; null if there is none, or no direct form. */
    private static byte[] write(byte[] valueHead, String name, Object value, boolean serverClass) {
        int variable = valueHead == null || !ascii(name, MAX_NAME) ? -1 : variableLength(value);
        if (variable < 0) {
            return null;
        }
        int n = name.length();
        byte[] out = Arrays.copyOf(HEAD, HEAD.length + 2 + 2 + n + 1 + valueHead.length + variable);
        int at = HEAD.length;
        out[at++] = TC_BLOCKDATA;
        out[at++] = (byte) (2 + n + 1);
        at = put(out, at, n, 2);
        for (int i = 0; i < n; i++) {
            out[at++] = (byte) name.charAt(i);
        }
        out[at++] = (byte) (serverClass ? 1 : 0);
        System.arraycopy(valueHead, 0, out, at, valueHead.length);
        at += valueHead.length;
        if (value instanceof byte[] b) {
            at = put(out, at, b.length, 4);
            System.arraycopy(b, 0, out, at, b.length);
        } else if (value instanceof String s) {
            at = put(out, at, s.length(), 2);
            for (int i = 0; i < s.length(); i++) {
                out[at++] = (byte) s.charAt(i);
            }
        } else if (value instanceof Integer i) {
            put(out, at, i, 4);
        } else {
            put(out, at, (Long) value, 8);
        }
        return out;
    }

    /**
     * The value of attribute {@code name} if {@code bytes} are exactly a direct form of it (as {@link #encode}
     * writes it, with either flag, or Jetty's reference for the value {@code Integer.valueOf(1)}), read as
     * {@link SessionData#deserializeAttributes} reads it; null for anything else, so that the caller reads them
     * with Jetty's stream, which also reports what is wrong with them. Null too for a byte array longer than
     * {@code maxArray} and for a value of a class {@code readsWithoutStream} refuses (every stream holds the count,
     * an {@code Integer}, so a refused {@code Integer} refuses every form): the stream's filter then refuses them
     * with its usual error. The stream's other limits ({@code maxbytes}, {@code maxrefs}, {@code maxdepth}) are
     * the caller's.
     */
    static Object decode(String name, byte[] bytes, long maxArray, Predicate<Class<?>> readsWithoutStream) {
        int n = name.length();
        int at = HEAD.length;
        // Jetty's block of data: TC_BLOCKDATA, its length (one byte), the name (writeUTF) and the flag.
        if (bytes.length < at + 2 + 2 + n + 1 + 1 || !Arrays.equals(bytes, 0, at, HEAD, 0, at)
                || bytes[at] != TC_BLOCKDATA || (bytes[at + 1] & 0xFF) != 2 + n + 1
                || get(bytes, at + 2, 2) != n) {
            return null;
        }
        at += 4;
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c == 0 || c > 127 || bytes[at++] != c) {
                return null;
            }
        }
        if (bytes[at] != 0 && bytes[at] != 1) {
            return null;
        }
        at++;
        return value(bytes, at, maxArray, readsWithoutStream);
    }

    /** The value whose form starts at {@code at} and ends with {@code bytes}; null as {@link #decode} says. */
    private static Object value(byte[] bytes, int at, long maxArray, Predicate<Class<?>> readsWithoutStream) {
        int rest = bytes.length - at;
        byte[] form;
        if ((form = VALUE[BYTES]) != null && startsWith(bytes, at, form) && rest >= form.length + 4) {
            long length = get(bytes, at + form.length, 4);
            int from = at + form.length + 4;
            return length == bytes.length - from && length <= maxArray && reads(readsWithoutStream, byte[].class)
                    ? Arrays.copyOfRange(bytes, from, bytes.length) : null;
        }
        if ((form = VALUE[STRING]) != null && startsWith(bytes, at, form) && rest >= form.length + 2) {
            int from = at + form.length + 2;
            if (get(bytes, at + form.length, 2) != bytes.length - from) {
                return null;
            }
            for (int i = from; i < bytes.length; i++) {
                if (bytes[i] <= 0) {
                    return null; // not a character 1 to 127 of modified UTF-8
                }
            }
            return reads(readsWithoutStream, String.class)
                    ? new String(bytes, from, bytes.length - from, StandardCharsets.US_ASCII) : null;
        }
        if ((form = VALUE[INTEGER]) != null && rest == form.length + 4 && startsWith(bytes, at, form)) {
            return reads(readsWithoutStream, Integer.class) ? (int) get(bytes, at + form.length, 4) : null;
        }
        if ((form = VALUE[LONG]) != null && rest == form.length + 8 && startsWith(bytes, at, form)) {
            return reads(readsWithoutStream, Long.class) ? get(bytes, at + form.length, 8) : null;
        }
        if (ONE != null && rest == ONE.length && startsWith(bytes, at, ONE)) {
            return reads(readsWithoutStream, Integer.class) ? Integer.valueOf(1) : null;
        }
        return null;
    }

    /** Whether a value of {@code type} may be read without the stream: it and the count, an Integer. */
    private static boolean reads(Predicate<Class<?>> readsWithoutStream, Class<?> type) {
        return readsWithoutStream.test(Integer.class) && (type == Integer.class || readsWithoutStream.test(type));
    }

    private static boolean startsWith(byte[] bytes, int at, byte[] prefix) {
        return bytes.length - at >= prefix.length
                && Arrays.equals(bytes, at, at + prefix.length, prefix, 0, prefix.length);
    }

    private static long get(byte[] in, int at, int width) {
        long value = 0;
        for (int i = 0; i < width; i++) {
            value = (value << 8) | (in[at + i] & 0xFF);
        }
        return value;
    }

    /** Jetty's own stream of a session holding only {@code name} = {@code value}. */
    static byte[] jettyStream(String name, Object value) throws IOException {
        SessionData one = new SessionData("", "", "", 0, 0, 0, 0);
        one.setAttribute(name, value);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            SessionData.serializeAttributes(one, out);
        }
        return bytes.toByteArray();
    }

    /** Characters 1 to 127 only, at most {@code max} of them (at least one). */
    private static boolean ascii(String s, int max) {
        int n = s.length();
        if (n == 0 || n > max) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 127) {
                return false;
            }
        }
        return true;
    }

    private static int put(byte[] out, int at, long v, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            out[at++] = (byte) (v >>> (8 * i));
        }
        return at;
    }

    private static byte[] head() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ObjectOutputStream out = new ObjectOutputStream(bytes);
            out.writeObject(1);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array cannot fail
        }
    }

    private static byte[] one() {
        try {
            String name = "a";
            byte[] jetty = jettyStream(name, Integer.valueOf(1));
            // TC_REFERENCE and the count's handle: the stream's third object, after two class descriptors.
            byte[] reference = {0x71, 0x00, 0x7e, 0x00, 0x02};
            byte[] expected = Arrays.copyOf(HEAD, HEAD.length + 2 + 2 + 1 + 1 + reference.length);
            int at = HEAD.length;
            expected[at++] = TC_BLOCKDATA;
            expected[at++] = 2 + 1 + 1;
            at = put(expected, at, 1, 2);
            expected[at++] = 'a';
            expected[at] = jetty.length > at ? jetty[at] : 0; // the flag is whatever Jetty chose here
            at++;
            System.arraycopy(reference, 0, expected, at, reference.length);
            return Arrays.equals(jetty, expected) ? reference : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static byte[][] values() {
        byte[][] forms = new byte[KINDS][];
        for (int kind = 0; kind < KINDS; kind++) {
            forms[kind] = confirmed(kind);
        }
        return forms;
    }

    /** The value form of {@code kind}, taken from ObjectOutputStream and checked against Jetty; null if they differ. */
    private static byte[] confirmed(int kind) {
        try {
            Object template = switch (kind) {
                case BYTES -> new byte[0];
                case STRING -> "";
                case INTEGER -> 0;
                default -> 0L;
            };
            int variable = switch (kind) {
                case BYTES -> 4;
                case STRING -> 2;
                case INTEGER -> 4;
                default -> 8;
            };
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                // The writes of serializeAttributes for one attribute.
                out.writeObject(1);
                out.writeUTF("a");
                out.writeBoolean(false);
                out.writeObject(template);
            }
            byte[] all = bytes.toByteArray();
            int from = HEAD.length + 2 + 2 + 1 + 1;
            byte[] form = Arrays.copyOfRange(all, from, all.length - variable);
            String name = "attribute-" + kind;
            Object second = sample(kind);
            byte[] jetty = jettyStream(name, second);
            byte[] mine = write(form, name, second, jetty[flagOffset(name)] != 0);
            return Arrays.equals(jetty, mine) ? form : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
