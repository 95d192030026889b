package org.sessiongrid.codec;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Collects bytes up to the limit and only counts beyond it, so a huge value cannot exhaust the heap here.
 * The output of one {@link AttributeEncoder#encode}: used by one thread, then dropped.
 */
final class CappedBuffer extends OutputStream {
    private final long limit;
    private byte[] data;
    private long size;

    CappedBuffer(long limit, int initialCapacity) {
        this.limit = limit;
        this.data = new byte[(int) Math.max(1, Math.min(initialCapacity, limit))];
    }

    @Override
    public void write(int b) {
        if (size < limit) {
            ensure(size + 1);
            data[(int) size] = (byte) b;
        }
        size++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        long storable = Math.min(len, Math.max(0, limit - size));
        if (storable > 0) {
            ensure(size + storable);
            System.arraycopy(b, off, data, (int) size, (int) storable);
        }
        size += len;
    }

    private void ensure(long needed) {
        if (needed > data.length) {
            long grown = Math.max(needed, Math.min((long) data.length * 2, limit));
            data = Arrays.copyOf(data, (int) grown);
        }
    }

    long size() {
        return size;
    }

    /** The bytes written: the buffer itself when it is exactly full, so a right guess costs no copy. */
    byte[] toByteArray() {
        return size == data.length ? data : Arrays.copyOf(data, (int) size);
    }
}
