package org.sessiongrid.bench;

import java.util.HashMap;
import java.util.Map;

import org.sessiongrid.testsupport.process.ProcCounters;

/**
 * The context switches of this JVM's threads over a span of time, voluntary and involuntary, from
 * {@code /proc/self/task/<tid>/status}. The kernel keeps them per thread, and a thread that ends takes its counts
 * with it: a JMH iteration sees worker and pool threads come and go, so a thread is read every few milliseconds
 * from its own daemon thread and each thread's growth since its first reading is summed, its last reading
 * standing for it once it is gone.
 */
final class ThreadSwitches {

    private final Map<String, long[]> first = new HashMap<>();
    private final Map<String, long[]> last = new HashMap<>();
    private final Thread sampler;
    private volatile boolean stopped;

    private ThreadSwitches(long sampleMillis) {
        read(first);
        sampler = new Thread(() -> {
            while (!stopped) {
                synchronized (this) {
                    read(last);
                }
                try {
                    Thread.sleep(sampleMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "thread-switches-sampler");
        sampler.setDaemon(true);
    }

    /** Reads every thread now and keeps reading them every {@code sampleMillis} until {@link #stop}. */
    static ThreadSwitches start(long sampleMillis) {
        ThreadSwitches s = new ThreadSwitches(sampleMillis);
        s.sampler.start();
        return s;
    }

    /** Stops the sampling and returns the voluntary and involuntary switches since {@link #start}. */
    long[] stop() {
        stopped = true;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            read(last);
            return sampled();
        }
    }

    /** The switches of the sampler's latest readings since {@link #start}, voluntary and involuntary. */
    synchronized long[] sampled() {
        long[] sum = new long[2];
        for (String tid : last.keySet()) {
            long[] t = of(tid);
            sum[0] += t[0];
            sum[1] += t[1];
        }
        return sum;
    }

    /** The switches of thread {@code tid} (its id in {@code /proc/self/task}) as last read, since {@link #start}. */
    synchronized long[] of(String tid) {
        long[] from = first.getOrDefault(tid, new long[2]);
        long[] to = last.getOrDefault(tid, from);
        return new long[] {to[0] - from[0], to[1] - from[1]};
    }

    /**
     * The voluntary and involuntary switches since {@link #start}, as last read, of the threads whose name (as the
     * kernel keeps it: the first 15 characters) starts with {@code prefix}; threads gone by now are not among them.
     */
    synchronized long[] ofThreadsNamed(String prefix) {
        long[] sum = new long[2];
        for (String tid : last.keySet()) {
            String name = nameOf(tid);
            if (name != null && name.startsWith(prefix)) {
                long[] t = of(tid);
                sum[0] += t[0];
                sum[1] += t[1];
            }
        }
        return sum;
    }

    /** The kernel's name of this JVM's thread {@code tid}, or null if it is gone. */
    private static String nameOf(String tid) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task", tid, "comm")).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static void read(Map<String, long[]> into) {
        Map<String, long[]> now = ProcCounters.switchesByThread(ProcessHandle.current().pid());
        if (now == null) {
            throw new IllegalStateException("cannot read /proc/self/task: not Linux?");
        }
        into.putAll(now);
    }
}
