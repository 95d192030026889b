package org.sessiongrid.bench.measure;

import java.util.ArrayList;
import java.util.List;

/**
 * Ends a warm-up when the farm has finished its ramp rather than after a fixed time: when, over the last
 * {@link #WINDOW_MILLIS}, its nodes' JIT compiler threads used less than {@link #QUIET_JIT_SHARE} of the farm's
 * CPU and the rate of answers rose by at most {@link #FLAT_RATE_RISE} against the window before. A rate that
 * falls while the JIT is quiet is the machine, not the ramp, and does not hold the warm-up back. Where the
 * compiler threads cannot be read (not Linux), the rate alone decides. Never before
 * the minimum; at the maximum it ends anyway, and the {@link Warmup} says the farm was still in its ramp.
 *
 * <p>Fed with a {@link Sample} about every second from the load's start; {@link #observe} answers null while
 * the warm-up goes on.
 */
public final class WarmupWatch {

    /** The window the JIT's share and the rate are taken over. */
    public static final long WINDOW_MILLIS = 5_000;
    /** The compiler threads' share of the farm's CPU below which the JIT counts as quiet. */
    public static final double QUIET_JIT_SHARE = 0.02;
    /** How much faster the last window may be than the one before for the rate to count as flat. */
    public static final double FLAT_RATE_RISE = 0.10;

    /**
     * Counters read at one moment of the warm-up.
     *
     * @param atMillis since the load started
     * @param farmCpuNanos CPU the farm's processes used so far (-1 if unreadable)
     * @param jitCpuNanos CPU their compiler threads used so far (-1 if unreadable)
     * @param answered successful answers so far
     */
    public record Sample(long atMillis, long farmCpuNanos, long jitCpuNanos, long answered) {
    }

    private final long minMillis;
    private final long maxMillis;
    private final List<Sample> samples = new ArrayList<>();

    /** A watch that ends the warm-up no sooner than {@code minMillis} and no later than {@code maxMillis}. */
    public WarmupWatch(long minMillis, long maxMillis) {
        this.minMillis = minMillis;
        this.maxMillis = Math.max(minMillis, maxMillis);
    }

    /** The longest warm-up this watch allows. */
    public long maxMillis() {
        return maxMillis;
    }

    /** Takes {@code s} (later than every sample before it); the warm-up's end, or null if it goes on. */
    public Warmup observe(Sample s) {
        samples.add(s);
        Sample a = atOrBefore(s.atMillis() - WINDOW_MILLIS);
        Sample b = a == null ? null : atOrBefore(a.atMillis() - WINDOW_MILLIS);
        double jitShare = a == null || s.farmCpuNanos() < 0 || a.farmCpuNanos() < 0 || s.jitCpuNanos() < 0
                || a.jitCpuNanos() < 0 || s.farmCpuNanos() <= a.farmCpuNanos() ? Double.NaN
                : (s.jitCpuNanos() - a.jitCpuNanos()) / (double) (s.farmCpuNanos() - a.farmCpuNanos());
        double last = a == null ? 0 : rate(a, s);
        double before = b == null ? 0 : rate(b, a);
        double rateChange = before > 0 ? last / before - 1 : Double.NaN;
        // Where the compiler threads cannot be read (not Linux), the rate alone says when the ramp is over.
        boolean quiet = Double.isNaN(jitShare) ? a != null && s.jitCpuNanos() < 0 : jitShare < QUIET_JIT_SHARE;
        boolean flat = !Double.isNaN(rateChange) && last > 0 && rateChange <= FLAT_RATE_RISE;
        if (s.atMillis() >= minMillis && quiet && flat) {
            return new Warmup(s.atMillis(), true, jitShare, rateChange);
        }
        if (s.atMillis() >= maxMillis) {
            return new Warmup(s.atMillis(), false, jitShare, rateChange);
        }
        return null;
    }

    /** The latest sample taken at or before {@code at}, or null. */
    private Sample atOrBefore(long at) {
        for (int i = samples.size() - 1; i >= 0; i--) {
            if (samples.get(i).atMillis() <= at) {
                return samples.get(i);
            }
        }
        return null;
    }

    private static double rate(Sample from, Sample to) {
        return to.atMillis() <= from.atMillis() ? 0 : (to.answered() - from.answered()) * 1000.0 / (to.atMillis() - from.atMillis());
    }
}
