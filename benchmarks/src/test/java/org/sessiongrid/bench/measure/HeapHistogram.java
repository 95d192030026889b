package org.sessiongrid.bench.measure;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A JVM's live heap per class, as {@code jcmd GC.class_histogram} prints it, and the growth between two of them:
 * which classes the sessions a run created are made of.
 *
 * @param classes instances and bytes per class name
 * @param totalBytes the "Total" line's bytes
 */
public record HeapHistogram(Map<String, Usage> classes, long totalBytes) {

    /** Instances and bytes of one class. */
    public record Usage(long instances, long bytes) {
    }

    /** One class's growth between two histograms. */
    public record Growth(String className, long instances, long bytes) {
    }

    /** Parses jcmd's output: {@code num: #instances #bytes class name (module)} lines and the Total line. */
    public static HeapHistogram parse(String text) {
        Map<String, Usage> classes = new HashMap<>();
        long total = -1;
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].equals("Total")) {
                total = Long.parseLong(f[f.length - 1]);
            } else if (f.length >= 4 && f[0].endsWith(":")) {
                classes.merge(f[3], new Usage(Long.parseLong(f[1]), Long.parseLong(f[2])),
                        (a, b) -> new Usage(a.instances() + b.instances(), a.bytes() + b.bytes()));
            }
        }
        if (total < 0) {
            throw new IllegalStateException("no Total line in the class histogram:\n" + text);
        }
        return new HeapHistogram(Map.copyOf(classes), total);
    }

    /** Live instances of {@code className}, 0 if none. */
    public long instancesOf(String className) {
        Usage u = classes.get(className);
        return u == null ? 0 : u.instances();
    }

    /** The classes that grew from {@code before} to this one, the largest growth first. */
    public List<Growth> growthSince(HeapHistogram before) {
        List<Growth> out = new ArrayList<>();
        for (Map.Entry<String, Usage> e : classes.entrySet()) {
            Usage was = before.classes().getOrDefault(e.getKey(), new Usage(0, 0));
            long bytes = e.getValue().bytes() - was.bytes();
            if (bytes != 0) {
                out.add(new Growth(e.getKey(), e.getValue().instances() - was.instances(), bytes));
            }
        }
        out.sort(Comparator.comparingLong(Growth::bytes).reversed());
        return out;
    }

    /**
     * The growth as a table per session: the {@code top} classes that grew most, with instances and bytes per
     * session, and the rest summed.
     */
    public String growthTable(HeapHistogram before, long sessions, int top) {
        List<Growth> g = growthSince(before);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-70s %12s %12s %10s%n", "class", "instances", "bytes", "B/session"));
        long rest = 0;
        for (int i = 0; i < g.size(); i++) {
            Growth x = g.get(i);
            if (i < top) {
                sb.append(String.format(Locale.ROOT, "%-70s %12d %12d %10.1f%n", x.className(), x.instances(), x.bytes(),
                        (double) x.bytes() / Math.max(1, sessions)));
            } else {
                rest += x.bytes();
            }
        }
        long total = totalBytes - before.totalBytes();
        sb.append(String.format(Locale.ROOT, "%-70s %12s %12d %10.1f%n", "(other classes)", "", rest,
                (double) rest / Math.max(1, sessions)));
        sb.append(String.format(Locale.ROOT, "%-70s %12s %12d %10.1f%n", "total", "", total,
                (double) total / Math.max(1, sessions)));
        return sb.toString();
    }
}
