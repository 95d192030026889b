package org.sessiongrid.jetty.mapping;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import org.eclipse.jetty.session.SessionData;
import org.sessiongrid.session.SessionRecord;

/**
 * The part of Jetty's {@link SessionData} metadata that the grid's {@code SessionMeta} has no field
 * for, kept exactly in the record's opaque {@code containerData} so that a load restores every field
 * Jetty stored (Jetty's contract: cookieSet, lastNode, lastAccessed and an explicit expiry come back
 * unchanged, even when they do not follow from the access time).
 *
 * <p>{@code writeTime} is the wall-clock time of the full write that produced this blob; the grid's
 * {@code lastAccessedTime} moves past it only when a request used the session without changing it
 * (a batched touch), which is how a load tells that the access times here are older than the truth.
 *
 * @param cookieSet     Jetty's cookieSet time
 * @param lastNode      worker name of the node that last managed the session, or null
 * @param maxInactiveMs Jetty's timeout in milliseconds ({@code <= 0}: never)
 * @param accessed      time of the last request that used the session
 * @param lastAccessed  time of the request before that
 * @param expiry        Jetty's absolute expiry in milliseconds (0: never)
 * @param writeTime     when this blob was written
 */
public record JettyMetadata(long cookieSet, String lastNode, long maxInactiveMs, long accessed, long lastAccessed,
                            long expiry, long writeTime) {

    /** Format tag, so that a later version can read blobs written by this one during a rolling upgrade. */
    private static final byte FORMAT = 1;

    /** The metadata of {@code data} as written at {@code writeTime}. */
    public static JettyMetadata of(SessionData data, long writeTime) {
        return new JettyMetadata(data.getCookieSet(), data.getLastNode(), data.getMaxInactiveMs(), data.getAccessed(),
                data.getLastAccessed(), data.getExpiry(), writeTime);
    }

    /** The Jetty metadata a record carries, or null if it carries none (written by another container). */
    public static JettyMetadata ofRecord(SessionRecord r) {
        try {
            return decode(r.meta().containerData());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Jetty's expiry of a record (0: never), taking batched touches into account: requests that used
     * the session after its last full write without changing it move the expiry with them. A record
     * without Jetty metadata expires when the grid says.
     */
    public static long expiryOf(SessionRecord r) {
        return expiryOf(r, ofRecord(r));
    }

    /** {@link #expiryOf(SessionRecord)} with the record's Jetty metadata {@code md} already decoded (or null). */
    public static long expiryOf(SessionRecord r, JettyMetadata md) {
        if (md == null) {
            return r.meta().expiryTime() == Long.MAX_VALUE ? 0 : r.meta().expiryTime();
        }
        long touched = r.meta().lastAccessedTime();
        if (touched > md.writeTime() && touched > md.accessed() && md.maxInactiveMs() > 0) {
            return Math.max(md.expiry(), touched + md.maxInactiveMs());
        }
        return md.expiry();
    }

    /** True if only the access times differ: a request used the session without changing what others must see. */
    public boolean sameExceptAccess(JettyMetadata o) {
        return o != null && cookieSet == o.cookieSet && maxInactiveMs == o.maxInactiveMs
                && java.util.Objects.equals(lastNode, o.lastNode);
    }

    /**
     * The blob this metadata is kept as: {@link DataOutputStream}'s writes of the format tag and the fields, written
     * directly when the node name is ASCII (characters 1 to 127, as worker names are), through the stream otherwise.
     */
    public byte[] encode() {
        int node = lastNode == null ? 0 : lastNode.length();
        if (lastNode != null && !ascii(lastNode)) {
            return encodeWithStream();
        }
        byte[] out = new byte[1 + 8 + 1 + (lastNode == null ? 0 : 2 + node) + 5 * 8];
        out[0] = FORMAT;
        int at = putLong(out, 1, cookieSet);
        out[at++] = (byte) (lastNode != null ? 1 : 0);
        if (lastNode != null) {
            out[at++] = (byte) (node >>> 8);
            out[at++] = (byte) node;
            for (int i = 0; i < node; i++) {
                out[at++] = (byte) lastNode.charAt(i);
            }
        }
        at = putLong(out, at, maxInactiveMs);
        at = putLong(out, at, accessed);
        at = putLong(out, at, lastAccessed);
        at = putLong(out, at, expiry);
        putLong(out, at, writeTime);
        return out;
    }

    /** Characters 1 to 127 only, which modified UTF-8 writes one byte each, at most 65535 of them. */
    private static boolean ascii(String s) {
        if (s.length() > 0xFFFF) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 127) {
                return false;
            }
        }
        return true;
    }

    private static int putLong(byte[] out, int at, long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out[at++] = (byte) (v >>> shift);
        }
        return at;
    }

    /** {@link #encode} through a {@link DataOutputStream}, whatever the node name holds. */
    byte[] encodeWithStream() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(cookieSet);
            out.writeBoolean(lastNode != null);
            if (lastNode != null) {
                out.writeUTF(lastNode);
            }
            out.writeLong(maxInactiveMs);
            out.writeLong(accessed);
            out.writeLong(lastAccessed);
            out.writeLong(expiry);
            out.writeLong(writeTime);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array cannot fail
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a blob written by {@link #encode()}.
     *
     * @throws IOException if the blob is not one (truncated, or another format)
     */
    public static JettyMetadata decode(byte[] blob) throws IOException {
        if (blob == null) {
            throw new IOException("the record carries no Jetty metadata (was it written by another container?)");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(blob))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IOException("unknown Jetty metadata format " + format + " (written by a newer SessionGrid?)");
            }
            long cookieSet = in.readLong();
            String lastNode = in.readBoolean() ? in.readUTF() : null;
            return new JettyMetadata(cookieSet, lastNode, in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                    in.readLong());
        }
    }
}
