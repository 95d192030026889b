package org.sessiongrid.jetty.mapping;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

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
 * {@code serializeAttributes} once per loader). Immutable and thread-safe.
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

    /** Stream header and the attribute count, Integer 1, as Jetty writes them. */
    private static final byte[] HEAD = head();
    /** Per kind, the value's form without its variable part (length and content, or the number); null: none. */
    private static final byte[][] VALUE = values();

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

    /** {@link #encode} with the value form {@code valueHead}; null if there is none, or no direct form. */
    private static byte[] write(byte[] valueHead, String name, Object value, boolean serverClass) {
        if (valueHead == null || !ascii(name, MAX_NAME)) {
            return null;
        }
        int variable;
        if (value instanceof byte[] b) {
            variable = 4 + b.length;
        } else if (value instanceof String s) {
            if (!s.isEmpty() && !ascii(s, 0xFFFF)) {
                return null;
            }
            variable = 2 + s.length();
        } else {
            variable = value instanceof Integer ? 4 : 8;
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
