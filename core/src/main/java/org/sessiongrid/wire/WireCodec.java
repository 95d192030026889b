package org.sessiongrid.wire;

import static org.sessiongrid.wire.MalformedMessageException.Reason.INVALID_VALUE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.TRUNCATED;
import static org.sessiongrid.wire.MalformedMessageException.Reason.UNKNOWN_TYPE;
import static org.sessiongrid.wire.MalformedMessageException.Reason.WRONG_VERSION;

import java.util.Objects;

import org.sessiongrid.wire.GridMessage.TouchBatch;

/**
 * Encodes and decodes {@link GridMessage}s. Layout: magic {@code 0x5347} ("SG"), format version,
 * type code, then the type's fields; no trailing bytes. The codes and field layouts are the rows of
 * {@link WireTypes}. A receiver that gets another format version drops the message (a rolling
 * upgrade across wire versions must go through a version that speaks both, which is why the version
 * is checked rather than guessed).
 *
 * <p>Thread-safe: holds only limits.
 */
public final class WireCodec {

    /** The format this code writes and the only one it reads. */
    public static final int FORMAT_VERSION = 1;

    private static final int MAGIC = 0x5347;

    /** Most touches a {@link TouchBatch} may carry; senders split larger batches. */
    public static final int MAX_TOUCHES = WireValues.MAX_BATCH;

    private final int maxValueBytes;

    /**
     * @param maxValueBytes the largest attribute value or blob accepted (setting {@code maxRecordBytes});
     *                      anything larger is rejected as {@code OVERSIZED} before it is allocated
     */
    public WireCodec(int maxValueBytes) {
        if (maxValueBytes <= 0) {
            throw new IllegalArgumentException("maxValueBytes must be positive");
        }
        this.maxValueBytes = maxValueBytes;
    }

    /**
     * Encodes one message into an array of exactly its length, which the caller owns (nothing else
     * refers to it).
     *
     * @throws IllegalArgumentException if a string of the message is not valid Unicode or longer than
     *                                  the wire allows
     */
    public byte[] encode(GridMessage m) {
        WireTypes.Row<?> row = WireTypes.of(m);
        if (row == null) {
            throw new IllegalArgumentException("no wire type for " + m.getClass());
        }
        // Measured by the same code that writes, so the array is filled exactly and never regrown or
        // trimmed: for a large record the extra pass costs far less than copying its bytes again.
        WireWriter measure = WireWriter.measuring();
        write(measure, row, m);
        WireWriter w = new WireWriter(measure.size());
        write(w, row, m);
        return w.toByteArray();
    }

    /**
     * The type code of the encoded message that starts at {@code offset} of {@code encoded}: its fourth byte (the
     * layout above), 0 to 255, read without decoding (the counters of the transport key on it).
     *
     * @throws IndexOutOfBoundsException if the array ends before the type code
     */
    public static int typeCode(byte[] encoded, int offset) {
        return encoded[offset + 3] & 0xff;
    }

    /** The name of a type code, the simple name of its message class; null if no type has that code. */
    public static String typeName(int code) {
        return WireTypes.nameOf(code);
    }

    private static void write(WireWriter w, WireTypes.Row<?> row, GridMessage m) {
        w.u8(MAGIC >>> 8);
        w.u8(MAGIC & 0xff);
        w.u8(FORMAT_VERSION);
        w.u8(row.code());
        row.write(w, m);
    }

    /**
     * Decodes one message, or explains why it is not one. Never throws anything else: a message from
     * a broken or hostile peer must not disturb the receiver.
     */
    public GridMessage decode(byte[] bytes) throws MalformedMessageException {
        return decode(bytes, 0, bytes == null ? 0 : bytes.length);
    }

    /**
     * Decodes the message in {@code length} bytes of {@code array} from {@code offset} (a received
     * message's buffer, read in place), or explains why it is not one; see {@link #decode(byte[])}.
     * The message does not refer to the array afterwards.
     *
     * @throws IndexOutOfBoundsException if offset and length do not lie within the array (a bug of the
     *                                   caller, not a malformed message)
     */
    public GridMessage decode(byte[] array, int offset, int length) throws MalformedMessageException {
        if (array == null || length < 4) {
            throw new MalformedMessageException(TRUNCATED, "message shorter than its 4-byte header");
        }
        Objects.checkFromIndexSize(offset, length, array.length);
        WireReader r = new WireReader(array, offset, offset + length, maxValueBytes);
        int magic = (r.u8("magic") << 8) | r.u8("magic");
        if (magic != MAGIC) {
            throw new MalformedMessageException(WRONG_VERSION, "not a SessionGrid message (magic 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int version = r.u8("format version");
        if (version != FORMAT_VERSION) {
            throw new MalformedMessageException(WRONG_VERSION, "wire format version " + version + ", this node speaks "
                    + FORMAT_VERSION + ": run the same SessionGrid version on every node");
        }
        int type = r.u8("type");
        WireTypes.Row<?> row = WireTypes.of(type);
        if (row == null) {
            throw new MalformedMessageException(UNKNOWN_TYPE, "unknown message type " + type);
        }
        try {
            GridMessage m = row.reader().read(r);
            r.expectEnd();
            return m;
        } catch (IllegalArgumentException | NullPointerException e) {
            // A value that parses but violates an invariant of its type (a negative version, an owner
            // index out of range, ...): the constructors say which.
            throw new MalformedMessageException(INVALID_VALUE, "message type " + type + ": " + e.getMessage());
        }
    }
}
