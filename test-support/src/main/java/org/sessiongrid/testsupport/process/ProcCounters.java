package org.sessiongrid.testsupport.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the kernel counts for a process beside its CPU, summed over its threads: context switches (a thread that
 * blocked, voluntary; one the scheduler took the core from, involuntary, from
 * {@code /proc/<pid>/task/<tid>/status}) and read/write system calls ({@code /proc/<pid>/io}: every socket read
 * and write, so per message unless the transport batches). Threads that ended between two readings take their
 * counts with them; a loaded window's node keeps its pools, so the difference is what the window did.
 *
 * @param voluntarySwitches voluntary context switches of the live threads
 * @param involuntarySwitches involuntary context switches of the live threads
 * @param readCalls read-like system calls of the process ({@code syscr}), -1 if unreadable
 * @param writeCalls write-like system calls of the process ({@code syscw}), -1 if unreadable
 */
public record ProcCounters(long voluntarySwitches, long involuntarySwitches, long readCalls, long writeCalls) {

    /** Nothing read: a process gone, or not Linux. */
    public static final ProcCounters NONE = new ProcCounters(0, 0, -1, -1);

    /** The counters of process {@code pid} now, or {@link #NONE}. */
    public static ProcCounters of(long pid) {
        Map<String, long[]> threads = switchesByThread(pid);
        if (threads == null) {
            return NONE;
        }
        long voluntary = 0;
        long involuntary = 0;
        for (long[] t : threads.values()) {
            voluntary += t[0];
            involuntary += t[1];
        }
        Path proc = Path.of("/proc", Long.toString(pid));
        long reads = -1;
        long writes = -1;
        try {
            for (String line : Files.readAllLines(proc.resolve("io"))) {
                if (line.startsWith("syscr:")) {
                    reads = value(line);
                } else if (line.startsWith("syscw:")) {
                    writes = value(line);
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // another user's process, or a kernel without task I/O accounting: the calls stay unknown
        }
        return new ProcCounters(voluntary, involuntary, reads, writes);
    }

    /**
     * The voluntary and involuntary context switches of each live thread of process {@code pid}, by thread id
     * (in that order), or null if the process is gone or this is not Linux.
     */
    public static Map<String, long[]> switchesByThread(long pid) {
        Map<String, long[]> out = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                long[] counts = new long[2];
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            counts[0] = value(line);
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            counts[1] = value(line);
                        }
                    }
                    out.put(t.getFileName().toString(), counts);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException e) {
            return null;
        }
        return out;
    }

    /** Threads of process {@code pid} that are running or runnable now (state {@code R}), 0 if unreadable. */
    public static int runnableThreads(long pid) {
        int n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    if (stat.charAt(stat.lastIndexOf(") ") + 2) == 'R') {
                        n++;
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile: not runnable
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return n;
    }

    /** This reading less {@code before}; the system calls stay -1 where either is unknown. */
    public ProcCounters since(ProcCounters before) {
        return new ProcCounters(voluntarySwitches - before.voluntarySwitches,
                involuntarySwitches - before.involuntarySwitches,
                readCalls < 0 || before.readCalls < 0 ? -1 : readCalls - before.readCalls,
                writeCalls < 0 || before.writeCalls < 0 ? -1 : writeCalls - before.writeCalls);
    }

    private static long value(String line) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
    }
}
