package org.sessiongrid.metrics;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free latency histogram with log-linear buckets (8 sub-buckets per power of two of
 * microseconds, so a percentile is within 12.5% of the true value), cheap enough to record every
 * replication. Percentiles are read from the whole history since start or the last {@link #reset()}.
 */
public final class LatencyHistogram {

    private static final int SUB = 8;
    private static final int MAGNITUDES = 40;
    private final AtomicLongArray counts = new AtomicLongArray(MAGNITUDES * SUB);

    LatencyHistogram() {
    }

    private static int bucket(long micros) {
        if (micros < SUB) {
            return (int) Math.max(0, micros);
        }
        int magnitude = 63 - Long.numberOfLeadingZeros(micros); // >= 3
        int sub = (int) ((micros >>> (magnitude - 3)) & (SUB - 1));
        int b = (magnitude - 2) * SUB + sub;
        return Math.min(b, MAGNITUDES * SUB - 1);
    }

    /** The smallest value that falls in bucket {@code b}. */
    private static long lowerBound(int b) {
        if (b < SUB) {
            return b;
        }
        int magnitude = b / SUB + 2;
        int sub = b % SUB;
        return (1L << magnitude) + ((long) sub << (magnitude - 3));
    }

    public void recordNanos(long nanos) {
        counts.incrementAndGet(bucket(nanos / 1_000));
    }

    public long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The {@code p}-th percentile (0..100) in microseconds, or 0 with no samples. */
    public long percentileMicros(double p) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(total * p / 100.0);
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= rank && counts.get(i) > 0) {
                return lowerBound(i);
            }
        }
        return lowerBound(counts.length() - 1);
    }

    public void reset() {
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
    }
}
