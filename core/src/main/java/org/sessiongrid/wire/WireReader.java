package org.sessiongrid.wire;

import static org.sessiongrid.wire.MalformedMessageException.Reason.INVALID_VALUE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.OVERSIZED;
import static org.sessiongrid.wire.MalformedMessageException.Reason.TRAILING_BYTES;
import static org.sessiongrid.wire.MalformedMessageException.Reason.TRUNCATED;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Reads what {@link WireWriter} wrote, checking every length against what remains and against the
 * configured limits before allocating, so that no input can make the decoder allocate more than the
 * message itself holds or read past its end.
 */
final class WireReader {

    /** Strings are ids, names and reasons: 64 KiB is far beyond any legitimate one. */
    static final int MAX_STRING_BYTES = 64 * 1024;

    private final byte[] buf;
    private int pos;
    private final int end;
    private final int maxValueBytes;

    /** Reads {@code buf} from {@code offset} up to, not including, {@code end}. */
    WireReader(byte[] buf, int offset, int end, int maxValueBytes) {
        this.buf = buf;
        this.pos = offset;
        this.end = end;
        this.maxValueBytes = maxValueBytes;
    }

    int remaining() {
        return end - pos;
    }

    private void need(int n, String what) throws MalformedMessageException {
        if (n > remaining()) {
            throw new MalformedMessageException(TRUNCATED,
                    "message truncated reading " + what + ": needs " + n + " bytes, " + remaining() + " left");
        }
    }

    int u8(String what) throws MalformedMessageException {
        need(1, what);
        return buf[pos++] & 0xff;
    }

    boolean bool(String what) throws MalformedMessageException {
        int v = u8(what);
        if (v > 1) {
            throw new MalformedMessageException(INVALID_VALUE, what + ": boolean byte " + v);
        }
        return v == 1;
    }

    int i32(String what) throws MalformedMessageException {
        need(4, what);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
                | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long i64(String what) throws MalformedMessageException {
        return ((long) i32(what) << 32) | (i32(what) & 0xffffffffL);
    }

    int varint(String what) throws MalformedMessageException {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = u8(what);
            v |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0 || (shift == 28 && b > 0x07)) {
                    throw new MalformedMessageException(INVALID_VALUE, what + ": varint out of range");
                }
                return v;
            }
        }
        throw new MalformedMessageException(INVALID_VALUE, what + ": varint longer than 5 bytes");
    }

    /** A count of elements that each take at least {@code minElementBytes}: bounded by what remains. */
    int count(String what, int minElementBytes, int hardLimit) throws MalformedMessageException {
        int n = varint(what);
        if (n > hardLimit) {
            throw new MalformedMessageException(OVERSIZED, what + ": " + n + " elements exceed the limit of " + hardLimit);
        }
        if ((long) n * minElementBytes > remaining()) {
            throw new MalformedMessageException(TRUNCATED, what + ": " + n + " elements cannot fit in " + remaining()
                    + " remaining bytes");
        }
        return n;
    }

    byte[] bytes(String what) throws MalformedMessageException {
        int n = varint(what);
        if (n > maxValueBytes) {
            throw new MalformedMessageException(OVERSIZED, what + ": " + n + " bytes exceed the limit of " + maxValueBytes
                    + " (setting maxRecordBytes)");
        }
        need(n, what);
        byte[] b = new byte[n];
        System.arraycopy(buf, pos, b, 0, n);
        pos += n;
        return b;
    }

    byte[] nullableBytes(String what) throws MalformedMessageException {
        return bool(what) ? bytes(what) : null;
    }

    String string(String what) throws MalformedMessageException {
        int n = varint(what);
        if (n > MAX_STRING_BYTES) {
            throw new MalformedMessageException(OVERSIZED, what + ": string of " + n + " bytes exceeds " + MAX_STRING_BYTES);
        }
        need(n, what);
        if (isAscii(pos, n)) {
            // ASCII is valid UTF-8 that decodes byte for char: no decoder needed (ids and names are ASCII
            // as a rule, and a decoder per string was a good part of decoding a small message).
            String s = new String(buf, pos, n, StandardCharsets.ISO_8859_1);
            pos += n;
            return s;
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, pos, n)).toString();
            pos += n;
            return s;
        } catch (CharacterCodingException e) {
            throw new MalformedMessageException(INVALID_VALUE, what + ": not valid UTF-8");
        }
    }

    private boolean isAscii(int from, int n) {
        for (int i = from; i < from + n; i++) {
            if (buf[i] < 0) {
                return false;
            }
        }
        return true;
    }

    String nullableString(String what) throws MalformedMessageException {
        return bool(what) ? string(what) : null;
    }

    void expectEnd() throws MalformedMessageException {
        if (remaining() != 0) {
            throw new MalformedMessageException(TRAILING_BYTES, remaining() + " unexpected bytes after the message");
        }
    }
}
