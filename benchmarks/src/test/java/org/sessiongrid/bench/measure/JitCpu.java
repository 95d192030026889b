package org.sessiongrid.bench.measure;

/**
 * CPU time a JVM's JIT compiler threads have used, as the kernel counts it ({@code /proc/<pid>/task/<tid>/stat}):
 * the part of a node's CPU that compiles code instead of serving requests. A measured window in which it is a
 * large share of the farm's CPU measures the JIT's ramp, not the steady cost of a request.
 *
 * <p>Linux only; elsewhere -1. Threads that ended before a reading are not in it (HotSpot keeps at least one
 * C1 and one C2 thread for the JVM's life; only extra ones come and go).
 */
public final class JitCpu {

    private JitCpu() {
    }

    /** Whether a thread of this name ({@code /proc}'s comm, at most 15 characters) is a HotSpot compiler thread. */
    static boolean isCompilerThread(String comm) {
        return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
    }

    /** CPU nanoseconds the compiler threads of process {@code pid} have used so far, or -1 if unreadable. */
    public static long nanos(long pid) {
        ThreadCpu threads = ThreadCpu.of(pid, JitCpu::isCompilerThread);
        return threads == null ? -1 : threads.nanos(JitCpu::isCompilerThread);
    }
}
