package org.sessiongrid.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CPU time of each thread of a process, as the kernel counts it ({@code /proc/<pid>/task/<tid>/stat}), and
 * what a group of threads used between two readings: which of a node's threads (timers, heartbeats, the
 * transport, GC, the JIT) spend what an idle farm spends.
 *
 * <p>Linux only; elsewhere a reading is empty. A thread that ended between two readings is not in the later one
 * (its CPU since the first is lost), one that started counts from zero.
 *
 * @param threads CPU nanoseconds of every live thread, by thread id
 * @param names the thread's name as {@code /proc} gives it ({@code comm}, at most 15 characters), by thread id
 */
public record ThreadCpu(Map<Long, Long> threads, Map<Long, String> names) {

    /** Clock ticks per second of {@code /proc}'s times (USER_HZ, 100 on every Linux the JDK runs on). */
    private static final long TICKS_PER_SECOND = 100;

    /** CPU of one group of threads between two readings. */
    public record Group(String name, long nanos) {
    }

    public ThreadCpu {
        threads = Map.copyOf(threads);
        names = Map.copyOf(names);
    }

    /** A reading of the threads of process {@code pid}, or null if its tasks cannot be listed. */
    public static ThreadCpu of(long pid) {
        return of(pid, name -> true);
    }

    /**
     * A reading of the threads of process {@code pid} whose name {@code named} accepts (the others' counters
     * are not read), or null if its tasks cannot be listed.
     */
    public static ThreadCpu of(long pid, java.util.function.Predicate<String> named) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return null;
        }
        Map<Long, Long> cpu = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) threads::iterator) {
                try {
                    long tid = Long.parseLong(t.getFileName().toString());
                    String name = Files.readString(t.resolve("comm")).strip();
                    if (!named.test(name)) {
                        continue;
                    }
                    long nanos = statCpuNanos(Files.readString(t.resolve("stat")));
                    names.put(tid, name);
                    cpu.put(tid, nanos);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read: it is not in this reading
                }
            }
        } catch (IOException e) {
            return null;
        }
        return new ThreadCpu(cpu, names);
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

    /** CPU nanoseconds of the threads whose name {@code matches} accepts, in this reading. */
    public long nanos(java.util.function.Predicate<String> matches) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : threads.entrySet()) {
            if (matches.test(names.get(e.getKey()))) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /**
     * The name of a thread's group: its name with every run of digits as {@code #}, so that a pool's threads
     * ({@code http-nio-8080-exec-12}, {@code GC Thread#1}) count as one.
     */
    static String group(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /**
     * What each group of threads used from {@code before} to this reading, the largest first, those that used
     * nothing left out.
     */
    public List<Group> since(ThreadCpu before) {
        Map<String, Long> byGroup = new HashMap<>();
        threads.forEach((tid, nanos) -> {
            long used = nanos - before.threads.getOrDefault(tid, 0L);
            if (used > 0) {
                byGroup.merge(group(names.get(tid)), used, Long::sum);
            }
        });
        List<Group> groups = new ArrayList<>();
        byGroup.forEach((g, n) -> groups.add(new Group(g, n)));
        groups.sort(Comparator.comparingLong(Group::nanos).reversed().thenComparing(Group::name));
        return groups;
    }
}
