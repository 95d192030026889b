package org.sessiongrid.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;

/** The ramp counts answered requests per second of load and finds where the rate holds 80 % of steady. */
class RampTest {

    private static void answers(History h, int second, int n, Op.Outcome outcome) {
        for (int i = 0; i < n; i++) {
            long end = second * 1000L + i * (1000L / Math.max(1, n));
            h.add(new Op(0, i, Op.Kind.INC, "n1", outcome, outcome == Op.Outcome.OK ? 200 : 503, i, "s", "s", end - 1, end));
        }
    }

    @Test
    void eightyPercentIsWhereFiveSecondsAverageIt() {
        History h = new History(0);
        for (int s = 0; s < 40; s++) {
            answers(h, s, s < 10 ? 10 : 100, Op.Outcome.OK);
            answers(h, s, 50, Op.Outcome.HTTP_ERROR); // failures are not service
        }
        Ramp r = Ramp.of(h, 0, 40_000, 100);
        assertEquals(40, r.perSecond().size());
        assertEquals(10, r.perSecond().get(0));
        assertEquals(100, r.perSecond().get(39));
        // s 9..13: 10 + 4 x 100 = 410, 82 per second; s 8..12: 64.
        assertEquals(9, r.secondsTo80());
    }

    @Test
    void aRateThatNeverReachesEightyPercentIsMinusOne() {
        History h = new History(0);
        for (int s = 0; s < 40; s++) {
            answers(h, s, 79, Op.Outcome.OK);
        }
        assertEquals(-1, Ramp.of(h, 0, 40_000, 100).secondsTo80());
        assertEquals(0, Ramp.of(h, 0, 40_000, 98.0).secondsTo80(), "79 is at least 80 % of 98");
    }

    @Test
    void onlyTheWarmUpCountsFromTheLoadsStart() {
        History h = new History(0);
        answers(h, 3, 7, Op.Outcome.OK); // before the load started at 5 s
        answers(h, 6, 9, Op.Outcome.OK); // second 1 of the load
        answers(h, 50, 9, Op.Outcome.OK); // after the warm-up
        Ramp r = Ramp.of(h, 5_000, 10_000, 9);
        assertEquals(0, r.perSecond().get(0));
        assertEquals(9, r.perSecond().get(1));
        assertEquals(9, r.perSecond().values().stream().mapToInt(Integer::intValue).sum());
    }
}
