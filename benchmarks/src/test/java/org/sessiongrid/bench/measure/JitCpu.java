package org.sessiongrid.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time a JVM's JIT compiler threads have used, as the kernel counts it ({@code /proc/<pid>/task/<tid>/stat}):
 * the part of a node's CPU that compiles code instead of serving requests. A measured window in which it is a
 * large share of the farm's CPU measures the JIT's ramp, not the steady cost of a request.
 *
 * <p>Linux only; elsewhere -1. Threads that ended before a reading are not in it (HotSpot keeps at least one
 * C1 and one C2 thread for the JVM's life; only extra ones come and go).
 */
public final class JitCpu {

    /** Clock ticks per second of {@code /proc}'s times (USER_HZ, 100 on every Linux the JDK runs on). */
    private static final long TICKS_PER_SECOND = 100;

    private JitCpu() {
    }

    /** Whether a thread of this name ({@code /proc}'s comm, at most 15 characters) is a HotSpot compiler thread. */
    static boolean isCompilerThread(String comm) {
        return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
    }

    /**
     * User plus system CPU nanoseconds of one {@code /proc/<pid>/task/<tid>/stat} line: fields 14 and 15,
     * counted after the command name in parentheses, which may itself contain spaces and parentheses.
     */
    static long statCpuNanos(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(") ") + 2).trim().split("\\s+");
        // f[0] is field 3 (state): utime (field 14) is f[11], stime (field 15) f[12].
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }

    /** CPU nanoseconds the compiler threads of process {@code pid} have used so far, or -1 if unreadable. */
    public static long nanos(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long sum = 0;
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) threads::iterator) {
                try {
                    if (isCompilerThread(Files.readString(t.resolve("comm")).strip())) {
                        sum += statCpuNanos(Files.readString(t.resolve("stat")));
                    }
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read: it used nothing more since
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }
}
