package org.sessiongrid.it.load;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the load client saw (every request, in order per user), what the nodes reported (sessionDestroyed
 * events), what the test expects (sessions left to time out), and when faults started and ended. The
 * checker judges it; the report draws it. Thread-safe for writers; readers take a snapshot.
 */
public final class History {

    /** A sessionDestroyed seen on a node. */
    public record Destroyed(String sessionId, String node, long at) {
    }

    /** A moment of the test (fault start or end) to mark on the timeline. */
    public record Mark(long at, String label) {
    }

    private final long origin;
    private final List<Op> ops = new ArrayList<>();
    private final List<Destroyed> destroyed = new ArrayList<>();
    private final Set<String> expectExpiry = new HashSet<>();
    private final Map<String, Long> shortLived = new HashMap<>();
    private final List<Mark> marks = new ArrayList<>();
    private final Map<String, String> facts = new java.util.LinkedHashMap<>();

    public History() {
        this(System.currentTimeMillis());
    }

    public History(long originEpochMillis) {
        this.origin = originEpochMillis;
    }

    /** Milliseconds since the origin. */
    public long now() {
        return System.currentTimeMillis() - origin;
    }

    public long origin() {
        return origin;
    }

    public synchronized void add(Op op) {
        ops.add(op);
    }

    /** A session the user abandoned with a short timeout: sessionDestroyed must fire for it exactly once. */
    public synchronized void expectExpiry(String sessionId) {
        expectExpiry.add(sessionId);
    }

    /** A session created with a short timeout: it may legitimately expire between two requests of its user. */
    public synchronized void shortLived(String sessionId, long timeoutMillis) {
        shortLived.put(sessionId, timeoutMillis);
    }

    /** The timeout of a short-lived session, or null. */
    public synchronized Long shortLivedTimeout(String sessionId) {
        return shortLived.get(sessionId);
    }

    /**
     * Every request as CSV (user, seq, kind, node, outcome, status, counter, session, sent, start, end, and the
     * requests the session had applied before it, newest first, separated by spaces).
     */
    public synchronized void writeCsv(java.nio.file.Path file) throws java.io.IOException {
        StringBuilder sb = new StringBuilder("user,seq,kind,node,outcome,status,counter,session,sent,start,end,earlier\n");
        for (Op o : ops()) {
            sb.append(o.user()).append(',').append(o.seq()).append(',').append(o.kind()).append(',').append(o.node())
                    .append(',').append(o.outcome()).append(',').append(o.status()).append(',').append(o.counter())
                    .append(',').append(o.sessionId()).append(',').append(o.sentSessionId()).append(',')
                    .append(o.start()).append(',').append(o.end()).append(',').append(String.join(" ", o.earlier()))
                    .append('\n');
        }
        for (Mark m : marks) {
            sb.append("# mark ").append(m.at()).append(' ').append(m.label()).append('\n');
        }
        for (Destroyed d : destroyed) {
            sb.append("# destroyed ").append(d.sessionId()).append(' ').append(d.node()).append(' ').append(d.at()).append('\n');
        }
        for (String id : expectExpiry) {
            sb.append("# expect-expiry ").append(id).append('\n');
        }
        java.nio.file.Files.writeString(file, sb);
    }

    public synchronized void destroyed(String sessionId, String node, long epochMillis) {
        destroyed.add(new Destroyed(sessionId, node, epochMillis - origin));
    }

    public synchronized void mark(String label) {
        marks.add(new Mark(now(), label));
    }

    public synchronized void mark(long at, String label) {
        marks.add(new Mark(at, label));
    }

    /** A figure for the report (merge conflicts, rebalance duration, ...). */
    public synchronized void fact(String name, Object value) {
        facts.put(name, String.valueOf(value));
    }

    public synchronized List<Op> ops() {
        List<Op> copy = new ArrayList<>(ops);
        copy.sort(Comparator.comparingInt(Op::user).thenComparingLong(Op::seq));
        return copy;
    }

    public synchronized List<Destroyed> destroyed() {
        return new ArrayList<>(destroyed);
    }

    public synchronized Set<String> expectedExpiries() {
        return new HashSet<>(expectExpiry);
    }

    public synchronized List<Mark> marks() {
        return new ArrayList<>(marks);
    }

    public synchronized Map<String, String> facts() {
        return new java.util.LinkedHashMap<>(facts);
    }

    /** Replaces the recorded sessionDestroyed events (read again from the nodes' files). */
    public synchronized void replaceDestroyed(List<Destroyed> events) {
        destroyed.clear();
        destroyed.addAll(events);
    }

    public synchronized Map<String, Integer> destroyedCounts() {
        Map<String, Integer> m = new HashMap<>();
        for (Destroyed d : destroyed) {
            m.merge(d.sessionId(), 1, Integer::sum);
        }
        return m;
    }
}
