package org.sessiongrid.bench.measure;

import java.util.Map;
import java.util.TreeMap;

import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;

/**
 * How a freshly started farm comes up to speed under load (the JIT, connection pools, caches): successful
 * requests per second from the first second of load, and when they first reach 80 % of the rate measured
 * after the warm-up. A node that takes long to reach speed makes every rolling restart and scale-out slow.
 *
 * @param perSecond successful requests answered in each second since the load started (second → count)
 * @param steadyThroughput the rate of the measured window, after the warm-up
 * @param secondsTo80 the first second from which the next {@link #WINDOW_SECONDS} seconds average at least 80 %
 *        of {@code steadyThroughput}; -1 if no such second came before the measured window ended
 */
public record Ramp(Map<Integer, Integer> perSecond, double steadyThroughput, int secondsTo80) {

    /** Seconds averaged, so that one fast second does not count as up to speed. */
    public static final int WINDOW_SECONDS = 5;

    public Ramp {
        perSecond = Map.copyOf(perSecond);
    }

    /**
     * The ramp of the ops of {@code h} that ended within {@code millis} after {@code loadStart} (the warm-up and
     * the measured window after it).
     */
    public static Ramp of(History h, long loadStart, long millis, double steadyThroughput) {
        TreeMap<Integer, Integer> perSecond = new TreeMap<>();
        int seconds = (int) (millis / 1000);
        for (int s = 0; s < seconds; s++) {
            perSecond.put(s, 0);
        }
        for (Op op : h.ops()) {
            long at = op.end() - loadStart;
            if (op.ok() && at >= 0 && at < seconds * 1000L) {
                perSecond.merge((int) (at / 1000), 1, Integer::sum);
            }
        }
        int to80 = -1;
        for (int s = 0; s + WINDOW_SECONDS <= seconds && steadyThroughput > 0; s++) {
            int sum = 0;
            for (int k = s; k < s + WINDOW_SECONDS; k++) {
                sum += perSecond.get(k);
            }
            if (sum / (double) WINDOW_SECONDS >= 0.8 * steadyThroughput) {
                to80 = s;
                break;
            }
        }
        return new Ramp(perSecond, steadyThroughput, to80);
    }
}
