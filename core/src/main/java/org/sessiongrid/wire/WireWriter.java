package org.sessiongrid.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Appends primitive values to a growable buffer, big-endian; the counterpart of {@link WireReader}. */
final class WireWriter {

    private byte[] buf;
    private int pos;

    WireWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    void u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    void bool(boolean v) {
        u8(v ? 1 : 0);
    }

    void i32(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    void i64(long v) {
        i32((int) (v >>> 32));
        i32((int) v);
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
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
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
        java.nio.charset.CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        byte[] b;
        try {
            java.nio.ByteBuffer bb = enc.encode(java.nio.CharBuffer.wrap(s));
            b = new byte[bb.remaining()];
            bb.get(b);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate): "
                    + s.substring(0, Math.min(40, s.length())));
        }
        if (b.length > WireReader.MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string of " + b.length + " bytes exceeds the wire limit of "
                    + WireReader.MAX_STRING_BYTES + ": " + s.substring(0, 40) + "...");
        }
        bytes(b);
    }

    void nullableString(String s) {
        bool(s != null);
        if (s != null) {
            string(s);
        }
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }
}
