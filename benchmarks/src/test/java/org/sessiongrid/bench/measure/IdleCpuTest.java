package org.sessiongrid.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The marginal cost of a request is the loaded farm's CPU less what the same farm spends idle. */
class IdleCpuTest {

    /** 1,000 req/s at 500 µs of farm CPU each (of which 80 µs JIT) over 15 s. */
    private static final LoadFigures LOADED = new LoadFigures(1_000, 5, 20, 30, 15_000, 0, 0, 0, 0, 0, 15_000, 500, 20, 80);

    @Test
    void theIdleFarmsCpuPerSecondComesOffEveryRequestsShare() {
        // 3 nodes idle at 100 ms/s each over 15 s (4.5 s of CPU), 0.225 s of it their compiler threads
        IdleCpu idle = new IdleCpu(3, 15_000, 4_500_000_000L, 225_000_000L, List.of());
        assertEquals(100, idle.perNodeMillisPerSecond(), 1e-9);
        assertEquals(95, idle.perNodeMillisPerSecondWithoutJit(), 1e-9);
        // 300,000 µs idle per second over 1,000 requests per second: 300 µs of each request's 500
        assertEquals(200, idle.marginalMicrosPerRequest(LOADED), 1e-9);
        // without the JIT: 420 loaded, 285,000 µs/s idle: 135
        assertEquals(135, idle.marginalWithoutJitMicrosPerRequest(LOADED), 1e-9);
    }

    @Test
    void aMissingFigureGivesNoMarginalCost() {
        assertEquals(-1, new IdleCpu(3, 15_000, -1, -1, List.of()).marginalMicrosPerRequest(LOADED));
        assertEquals(-1, new IdleCpu(3, 15_000, 10, -1, List.of()).marginalWithoutJitMicrosPerRequest(LOADED));
        LoadFigures nothing = new LoadFigures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, -1, -1, -1);
        assertEquals(-1, new IdleCpu(3, 15_000, 10, 1, List.of()).marginalMicrosPerRequest(nothing));
        assertEquals(-1, new IdleCpu(3, 15_000, -1, -1, List.of()).perNodeMillisPerSecond());
    }
}
