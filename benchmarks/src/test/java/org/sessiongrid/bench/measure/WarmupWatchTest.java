package org.sessiongrid.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntToDoubleFunction;

import org.junit.jupiter.api.Test;

/** A warm-up ends when the JIT is quiet and the rate flat, not before the minimum, and at the maximum anyway. */
class WarmupWatchTest {

    /**
     * Feeds {@code watch} one sample a second from second 0: the farm uses 2 CPU seconds a second, of which
     * {@code jitShare(s)} its compiler threads, and answers {@code rate(s)} requests in second s. Returns the
     * warm-up's end, or null if it did not end within {@code seconds}.
     */
    private static Warmup run(WarmupWatch watch, int seconds, IntToDoubleFunction jitShare, IntToDoubleFunction rate) {
        long farm = 0;
        long jit = 0;
        long answered = 0;
        for (int s = 0; s <= seconds; s++) {
            Warmup w = watch.observe(new WarmupWatch.Sample(s * 1000L, farm, jit, answered));
            if (w != null) {
                return w;
            }
            farm += 2_000_000_000L;
            jit += (long) (2_000_000_000L * jitShare.applyAsDouble(s));
            answered += (long) rate.applyAsDouble(s);
        }
        return null;
    }

    @Test
    void aCompilingFarmWarmsUpUntilItsJitIsQuiet() {
        // Flat rate from the start, the JIT at 10 % until second 40, then 1 %: the 5 s window ending at
        // second 45 is the first without the busy JIT.
        Warmup w = run(new WarmupWatch(10_000, 180_000), 200, s -> s < 40 ? 0.10 : 0.01, s -> 1_000);
        assertEquals(45_000, w.millis());
        assertTrue(w.settled());
        assertEquals(0.01, w.jitShare(), 1e-6);
        assertEquals(0, w.rateChange(), 1e-6);
        assertTrue(w.why().startsWith("the JIT went quiet"), w.why());
    }

    @Test
    void aRisingRateHoldsTheWarmUpBackAndAFallingOneDoesNot() {
        // Quiet JIT, the rate climbing 5 % a second (28 % a window) until second 30, then flat: it ends once
        // a window is no more than 10 % above the one before, within two windows of the climb's end.
        Warmup rising = run(new WarmupWatch(10_000, 180_000), 200, s -> 0.0, s -> 1_000 * Math.pow(1.05, Math.min(s, 30)));
        assertTrue(rising.settled());
        assertTrue(rising.millis() > 30_000 && rising.millis() <= 40_000, "ended at " + rising.millis());
        assertTrue(rising.rateChange() <= WarmupWatch.FLAT_RATE_RISE, rising.toString());
        Warmup falling = run(new WarmupWatch(10_000, 180_000), 200, s -> 0.0, s -> s < 8 ? 2_000 : 1_000);
        assertEquals(10_000, falling.millis(), "a falling rate under a quiet JIT is not a ramp");
    }

    @Test
    void theMinimumHoldsAndTheMaximumEndsTheRampAnyway() {
        Warmup quietAtOnce = run(new WarmupWatch(40_000, 180_000), 200, s -> 0.0, s -> 1_000);
        assertEquals(40_000, quietAtOnce.millis());
        assertTrue(quietAtOnce.settled());
        Warmup busy = run(new WarmupWatch(10_000, 60_000), 200, s -> 0.05, s -> 1_000);
        assertEquals(60_000, busy.millis());
        assertFalse(busy.settled());
        assertEquals(0.05, busy.jitShare(), 1e-6);
        assertTrue(busy.why().startsWith("**still in the ramp**") && busy.why().contains("JIT 5.0 %"), busy.why());
    }

    @Test
    void aWarmUpShorterThanTwoWindowsEndsAtItsMaximumUnjudged() {
        // The smoke run's: half a second, no window to compare.
        WarmupWatch watch = new WarmupWatch(500, 500);
        assertNull(watch.observe(new WarmupWatch.Sample(0, 0, 0, 0)));
        Warmup w = watch.observe(new WarmupWatch.Sample(500, 1_000_000_000L, 100_000_000L, 300));
        assertEquals(500, w.millis());
        assertFalse(w.settled());
        assertTrue(Double.isNaN(w.jitShare()) && Double.isNaN(w.rateChange()), w.toString());
        assertTrue(w.why().contains("JIT unknown"), w.why());
    }

    @Test
    void unreadableCompilerThreadsLeaveTheRateToDecide() {
        WarmupWatch watch = new WarmupWatch(10_000, 180_000);
        Warmup w = null;
        for (int s = 0; w == null && s <= 200; s++) {
            w = watch.observe(new WarmupWatch.Sample(s * 1000L, s * 2_000_000_000L, -1, s * 1_000L));
        }
        assertEquals(10_000, w.millis());
        assertTrue(w.settled() && Double.isNaN(w.jitShare()), w.toString());
    }
}
