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

    void string(String s) {
        bytes(s.getBytes(StandardCharsets.UTF_8));
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
