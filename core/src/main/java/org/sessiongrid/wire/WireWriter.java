package org.sessiongrid.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Appends primitive values to a byte array, big-endian; the counterpart of {@link WireReader}.
 *
 * <p>A {@linkplain #measuring() measuring} writer stores nothing and only counts, so that a message
 * is sized by the very code that writes it: {@link WireCodec} runs its encoding once to measure and
 * once into an array of exactly that size, which {@link #toByteArray()} then hands over as it is.
 * Growing a buffer while writing copied every byte of a large record several times, the top
 * allocation and CPU site of a write-heavy node. A writer whose capacity turns out too small still
 * grows (doubling), so a wrong size costs time, never correctness.
 */
final class WireWriter {

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** Null while measuring. */
    private byte[] buf;
    private int pos;

    WireWriter(int initialCapacity) {
        buf = new byte[Math.max(0, initialCapacity)];
    }

    private WireWriter() {
        buf = null;
    }

    /** A writer that stores nothing and counts the bytes it would write ({@link #size()}). */
    static WireWriter measuring() {
        return new WireWriter();
    }

    /** Bytes written (or counted) so far. */
    int size() {
        return pos;
    }

    /** True if the next {@code n} bytes are to be stored (not only counted), after making room for them. */
    private boolean store(int n) {
        if (buf == null) {
            return false;
        }
        if (n > buf.length - pos) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, Math.addExact(pos, n)));
        }
        return true;
    }

    void u8(int v) {
        if (store(1)) {
            buf[pos] = (byte) v;
        }
        pos++;
    }

    void bool(boolean v) {
        u8(v ? 1 : 0);
    }

    void i32(int v) {
        if (store(4)) {
            INT.set(buf, pos, v);
        }
        pos += 4;
    }

    void i64(long v) {
        if (store(8)) {
            LONG.set(buf, pos, v);
        }
        pos += 8;
    }

    /** Non-negative int in 1 to 5 bytes. */
    void varint(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative varint " + v);
        }
        while ((v & ~0x7f) != 0) {
            u8((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        u8(v);
    }

    void bytes(byte[] b) {
        varint(b.length);
        if (store(b.length)) {
            System.arraycopy(b, 0, buf, pos, b.length);
        }
        pos += b.length;
    }

    /** Nullable byte array: a presence flag, then the bytes. */
    void nullableBytes(byte[] b) {
        bool(b != null);
        if (b != null) {
            bytes(b);
        }
    }

    /**
     * Writes a string the reader accepts: at most {@link WireReader#MAX_STRING_BYTES} bytes of valid
     * UTF-8. Failing here, at the sender, names the culprit; failing at the receiver would only look
     * like a malformed message.
     */
    void string(String s) {
        long n = utf8Length(s);
        if (n > WireReader.MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string of " + n + " bytes exceeds the wire limit of "
                    + WireReader.MAX_STRING_BYTES + ": " + s.substring(0, 40) + "...");
        }
        int len = (int) n;
        varint(len);
        if (store(len)) {
            if (len == s.length()) {
                // Ids, namespaces and attribute names are ASCII as a rule: one byte per char.
                for (int i = 0; i < len; i++) {
                    buf[pos + i] = (byte) s.charAt(i);
                }
            } else {
                writeUtf8(s);
            }
        }
        pos += len;
    }

    /**
     * The length of {@code s} in UTF-8, checking that it has no unpaired surrogate (which a strict
     * UTF-8 encoder refuses and a lenient one would silently replace).
     */
    private static long utf8Length(String s) {
        int chars = s.length();
        long n = chars;
        for (int i = 0; i < chars; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                n += 1;
            } else if (!Character.isSurrogate(c)) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < chars && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 2; // two chars, four bytes
                i++;
            } else {
                throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate): "
                        + s.substring(0, Math.min(40, s.length())));
            }
        }
        return n;
    }

    /** Encodes {@code s}, already checked by {@link #utf8Length}, at {@code pos}. */
    private void writeUtf8(String s) {
        int p = pos;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[p++] = (byte) c;
            } else if (c < 0x800) {
                buf[p++] = (byte) (0xc0 | c >>> 6);
                buf[p++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c)) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buf[p++] = (byte) (0xf0 | cp >>> 18);
                buf[p++] = (byte) (0x80 | cp >>> 12 & 0x3f);
                buf[p++] = (byte) (0x80 | cp >>> 6 & 0x3f);
                buf[p++] = (byte) (0x80 | cp & 0x3f);
            } else {
                buf[p++] = (byte) (0xe0 | c >>> 12);
                buf[p++] = (byte) (0x80 | c >>> 6 & 0x3f);
                buf[p++] = (byte) (0x80 | c & 0x3f);
            }
        }
    }

    void nullableString(String s) {
        bool(s != null);
        if (s != null) {
            string(s);
        }
    }

    /** The bytes written: the array itself when it was sized exactly, else a copy of the written part. */
    byte[] toByteArray() {
        if (buf == null) {
            throw new IllegalStateException("a measuring writer holds no bytes");
        }
        return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
    }
}
