package org.sessiongrid.grid;

import java.util.function.Supplier;

import org.sessiongrid.placement.Member;
import org.sessiongrid.topology.Topology;

/**
 * Since when this member's topology names it alone, as the pause detector's ticks see it. After a pause a
 * topology of itself alone means "nobody held my sessions to serve them meanwhile" only if it named this member
 * alone before the pause began: a member that dropped the others during the pause or just before it (its own
 * failure detection or suspicions while it was cut off, frozen or starved) was most likely dropped by them too.
 *
 * <p>Thread safety: {@link #note} is called by the pause detector's thread only; the fields are volatile for the
 * request threads that judge a gap.
 */
final class Solitude {

    /** This member (its address is known once the channel connected). */
    private final Supplier<Member> self;
    /** Whether a topology this member installed ever named another member (as a tick saw it). */
    private volatile boolean hadOthers;
    /** The last tick that saw this member's topology name another member (nanoTime), when {@link #hadOthers}. */
    private volatile long withOthersNanos;

    Solitude(Supplier<Member> self) {
        this.self = self;
    }

    /** True if {@code t} names this member alone. */
    boolean alone(Topology t) {
        return t != null && t.members().size() == 1 && t.members().get(0).equals(self.get());
    }

    /** Notes the topology installed at a tick at {@code nowNanos}, once that tick has judged its gap. */
    void note(Topology t, long nowNanos) {
        if (t != null && !alone(t)) {
            withOthersNanos = nowNanos;
            hadOthers = true;
        }
    }

    /**
     * True if no topology this member installed named another member since {@code marginNanos} before
     * {@code gapStartNanos} (never, for a one-node farm). The clock sees a pause only from the last tick, but the
     * silence that got this member dropped can begin earlier (a cut, a starved delivering thread that the ticker
     * outlived): a member that dropped the others within an exclusion's time before the gap may have been dropped
     * by them for the same silence.
     */
    boolean aloneBefore(long gapStartNanos, long marginNanos) {
        return !hadOthers || withOthersNanos - (gapStartNanos - marginNanos) < 0;
    }
}
