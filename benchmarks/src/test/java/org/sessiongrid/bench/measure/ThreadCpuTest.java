package org.sessiongrid.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A process's CPU by thread, from the kernel's counters, grouped by pool. */
class ThreadCpuTest {

    @Test
    void cpuOfAStatLineIsUserPlusSystemTicks() {
        // A compiler thread's stat line; the name in parentheses has a space, as theirs do.
        String stat = "4242 (C2 CompilerThre) S 1 4200 4200 0 -1 4194624 1234 0 0 0 250 17 0 0 20 0 40 0 1597 "
                + "4110524416 62500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 -1 1 0 0 0 0 0";
        assertEquals((250 + 17) * 10_000_000L, ThreadCpu.statCpuNanos(stat));
        // A name with ") " inside: the fields count from the last one.
        assertEquals(5 * 10_000_000L, ThreadCpu.statCpuNanos("7 (a) b) R 1 2 3 4 5 6 7 8 9 10 2 3 0 0"));
    }

    @Test
    void aPoolsThreadsCountAsOneGroup() {
        ThreadCpu before = new ThreadCpu(Map.of(1L, 100L, 2L, 50L, 3L, 7L),
                Map.of(1L, "http-nio-8080-e", 2L, "GC Thread#0", 3L, "VM Thread"));
        // thread 4 started since, thread 2 ended (its CPU since the first reading is lost), 3 used nothing
        ThreadCpu after = new ThreadCpu(Map.of(1L, 400L, 3L, 7L, 4L, 30L, 5L, 20L),
                Map.of(1L, "http-nio-8080-e", 3L, "VM Thread", 4L, "http-nio-8081-e", 5L, "GC Thread#1"));
        assertEquals(List.of(new ThreadCpu.Group("http-nio-#-e", 330), new ThreadCpu.Group("GC Thread##", 20)),
                after.since(before));
        assertEquals(7 + 30 + 20 + 400, after.nanos(n -> true));
        assertEquals(20, after.nanos(n -> n.startsWith("GC")));
    }
}
