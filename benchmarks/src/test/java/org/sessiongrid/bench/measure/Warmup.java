package org.sessiongrid.bench.measure;

import java.util.Locale;

/**
 * How the warm-up before a measured window ended: after how long, and whether the farm had finished its ramp
 * ({@link WarmupWatch}) or the maximum cut it short.
 *
 * @param millis load before the measured window
 * @param settled true when the nodes' JIT had gone quiet and the rate had stopped rising; false when the maximum
 *        ended the warm-up: the window then measures a farm still in its ramp
 * @param jitShare the compiler threads' share of the farm's CPU over the last {@link WarmupWatch#WINDOW_MILLIS}
 *        before the end; NaN if not known (too short a warm-up, or the threads cannot be read)
 * @param rateChange the rate of answers over that last window against the window before it, as a fraction
 *        (0.05: 5 % faster); NaN if not known
 * @param notYet what else the farm had not reached when the maximum ended the warm-up (e.g. C2 had not compiled
 *        every node's write path), or null
 */
public record Warmup(long millis, boolean settled, double jitShare, double rateChange, String notYet) {

    /** A warm-up that waited for nothing else than the JIT's share and the rate. */
    public Warmup(long millis, boolean settled, double jitShare, double rateChange) {
        this(millis, settled, jitShare, rateChange, null);
    }

    /** This warm-up cut short by its maximum before the farm reached {@code what}. */
    public Warmup shortOf(String what) {
        return new Warmup(millis, false, jitShare, rateChange, what);
    }

    /** Why the warm-up ended, in a few words, for the report. */
    public String why() {
        String figures = "JIT " + (Double.isNaN(jitShare) ? "unknown" : percent(jitShare) + " of the farm's CPU")
                + ", rate " + rate() + " over the last " + WarmupWatch.WINDOW_MILLIS / 1000 + " s";
        return settled ? "the JIT went quiet and the rate is flat (" + figures + ")"
                : "**still in the ramp**: the maximum ended it (" + figures + (notYet == null ? "" : "; " + notYet) + ")";
    }

    /** Its length and, briefly, why it ended: for a table cell. */
    public String brief() {
        return millis / 1000 + " s" + (settled ? "" : ", **still in the ramp**") + " (JIT "
                + (Double.isNaN(jitShare) ? "unknown" : percent(jitShare)) + ", rate " + rate()
                + (notYet == null ? "" : "; " + notYet) + ")";
    }

    private String rate() {
        return Double.isNaN(rateChange) ? "unknown" : (rateChange >= 0 ? "+" : "") + percent(rateChange);
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f %%", fraction * 100);
    }
}
