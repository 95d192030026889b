package org.sessiongrid.it.check;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.it.load.Op;
import org.sessiongrid.it.node.CounterServlet;

/**
 * Judges a {@link History}. Each user's requests are sequential, so its acknowledged answers must tell
 * one consistent story:
 * <ul>
 * <li>an increment answers a value above the last acknowledged one ({@code STALE_READ} otherwise: the
 * node used an older copy and an acknowledged increment is lost), and at most last + 1 + the number of
 * failed increments since ({@code PHANTOM_INCREMENT} otherwise: a failed request may or may not have
 * been applied, but nothing is applied twice); one more for each earlier failed request the answer names as
 * applied since the last acknowledged one (a node ran it after its client gave up: see {@link #lateRuns()});</li>
 * <li>the session never changes id or disappears unless the user invalidated it ({@code SESSION_LOST});</li>
 * <li>an invalidated session never answers again ({@code RESURRECTED});</li>
 * <li>the final reads on every node show the last acknowledged value ({@code LOST_INCREMENT} below it);</li>
 * <li>sessionDestroyed fires at most once per session ({@code DESTROYED_TWICE}) and exactly once for every
 * session left to time out ({@code NEVER_DESTROYED}), except a call lost in the one documented window
 * (see {@link #lostCallWindow});</li>
 * <li>optionally, no user waits longer than a bound between its first failed request and the next
 * success ({@code OUTAGE_TOO_LONG});</li>
 * <li>no request runs twice ({@code APPLIED_TWICE}), unless a balancer that resends is in front
 * ({@link #balancerResends()}): then a second run is counted with its evidence, and judged as the user's
 * own second request.</li>
 * </ul>
 * Failed requests are not violations by themselves: they are counted and their duration reported.
 */
public final class Checker {

    private Long maxOutageMillis;
    private boolean checkExpiry = true;

    /** Users that could not be served for longer than this are a violation (default: no bound). */
    public Checker maxOutage(long millis) {
        this.maxOutageMillis = millis;
        return this;
    }

    private Set<String> splitSideA = Set.of();
    private Set<String> splitSideB = Set.of();
    private long splitFrom;
    private long splitTo;
    private int expiredOnBothSides;

    /**
     * A partition with the serve-both-sides policy between {@code from} and {@code to} (test time, ms):
     * each side runs its own expiry, so a session may see sessionDestroyed once on each side, both
     * within the split (documented in SessionListener). Such a pair is counted (see
     * {@link #expiredOnBothSides()}), not a violation; anything more still is.
     */
    public Checker bothSidesServed(Set<String> sideA, Set<String> sideB, long from, long to) {
        this.splitSideA = Set.copyOf(sideA);
        this.splitSideB = Set.copyOf(sideB);
        this.splitFrom = from;
        this.splitTo = to;
        return this;
    }

    /** Sessions destroyed once on each side of a serve-both-sides split, in the last {@link #check}. */
    public int expiredOnBothSides() {
        return expiredOnBothSides;
    }

    private boolean onceOnEachSide(List<History.Destroyed> events) {
        if (events.size() != 2) {
            return false;
        }
        History.Destroyed a = events.get(0);
        History.Destroyed b = events.get(1);
        boolean within = a.at() >= splitFrom && a.at() <= splitTo && b.at() >= splitFrom && b.at() <= splitTo;
        boolean apart = splitSideA.contains(a.node()) && splitSideB.contains(b.node())
                || splitSideB.contains(a.node()) && splitSideA.contains(b.node());
        return within && apart;
    }

    private boolean balancerResends;
    private final List<String> resends = new ArrayList<>();

    /**
     * A balancer that resends is in front of the farm (HAProxy's {@code retries} with {@code option
     * redispatch}): a request on its way into a node that dies may have been applied there, its change
     * acknowledged by the backups, and then be sent to another node and applied again. The grid cannot tell
     * such a resend from a new request, and applying it is right; the checker counts it (see
     * {@link #resends()}) instead of reporting a phantom increment or a lost session, on evidence only: an
     * increment whose answer says the session had already applied that very request, or an invalidation that
     * found no session while another node's sessionDestroyed for it came during the request.
     */
    public Checker balancerResends() {
        this.balancerResends = true;
        return this;
    }

    /** The requests of the last {@link #check} that ran twice through a resending balancer, with the evidence. */
    public List<String> resends() {
        return List.copyOf(resends);
    }

    private final List<String> lateRuns = new ArrayList<>();

    /**
     * The requests of the last {@link #check} whose client gave up on them and whose increment a later answer
     * shows applied after a newer request had been acknowledged, with the evidence.
     */
    public List<String> lateRuns() {
        return List.copyOf(lateRuns);
    }

    private Map<String, String> announcedBeforeKill = Map.of();
    private int kills;
    private final List<String> lostInWindow = new ArrayList<>();

    /**
     * The documented lost-call window ({@code SessionListener#expired}): a member records an expiry's
     * announcement at every owner and dies before its listener call. {@code announcedBeforeKill} holds the
     * sessions a node's log shows it began to announce right before that node got SIGKILL (with how long before);
     * such a session without sessionDestroyed is counted (see {@link #lostInWindow()}), not a violation, up
     * to two per kill (the grid's expiry pass and a container's scavenger announce one at a time each).
     * Every other session without its call still is one.
     */
    public Checker lostCallWindow(Map<String, String> announcedBeforeKill, int kills) {
        this.announcedBeforeKill = Map.copyOf(announcedBeforeKill);
        this.kills = kills;
        return this;
    }

    /** Sessions of the last {@link #check} whose call was lost in the documented window, with the evidence. */
    public List<String> lostInWindow() {
        return List.copyOf(lostInWindow);
    }

    /** Whether to require sessionDestroyed for the sessions left to time out (default true). */
    public Checker checkExpiry(boolean v) {
        this.checkExpiry = v;
        return this;
    }

    public CheckResult check(History h) {
        List<Op> ops = h.ops();
        List<Violation> violations = new ArrayList<>();
        // Ids whose invalidation was acknowledged -> when: any request that started later and found the
        // session saw it come back, whoever sent it.
        Map<String, Long> invalidated = new HashMap<>();
        for (Op op : ops) {
            if (op.kind() == Op.Kind.INVALIDATE && op.ok() && op.sentSessionId() != null) {
                invalidated.merge(op.sentSessionId(), op.end(), Math::min);
            }
        }
        Map<String, List<History.Destroyed>> events = new HashMap<>();
        for (History.Destroyed d : h.destroyed()) {
            events.computeIfAbsent(d.sessionId(), k -> new ArrayList<>()).add(d);
        }
        resends.clear();
        lateRuns.clear();
        Map<Op.Outcome, Integer> failures = new EnumMap<>(Op.Outcome.class);
        long lostIncrements = 0;
        long maxOutage = 0;
        int maxOutageUser = -1;
        long acknowledged = 0;
        List<Long> latencies = new ArrayList<>();
        Map<Integer, List<Op>> byUser = new HashMap<>();
        for (Op op : ops) {
            byUser.computeIfAbsent(op.user(), k -> new ArrayList<>()).add(op);
        }
        for (Map.Entry<Integer, List<Op>> e : byUser.entrySet()) {
            int user = e.getKey();
            String session = null;
            long acked = 0; // last acknowledged counter of `session`
            long uncertain = 0; // failed increments since
            long ackedSeq = -1; // the request that answered `acked`
            Map<Long, Op> failedIncrements = new HashMap<>(); // by seq
            Set<Long> credited = new HashSet<>(); // failed increments shown applied after a later answer
            Long failStart = null;
            long lastAckEnd = 0;
            for (Op op : e.getValue()) {
                if (!op.ok() && op.kind() == Op.Kind.READ) {
                    // The load client retries a final read for a bounded time and records its last try: a
                    // node that still cannot answer has not shown that its copy converged.
                    failures.merge(op.outcome(), 1, Integer::sum);
                    if (session != null) {
                        violations.add(new Violation(Violation.Type.FINAL_READ_FAILED, user, session, op.node(),
                                op.start(), "final read on " + op.node() + " failed (" + op.outcome() + " "
                                        + op.status() + ") after its retries; acknowledged counter " + acked));
                    }
                    continue;
                }
                if (!op.ok()) {
                    failures.merge(op.outcome(), 1, Integer::sum);
                    if (failStart == null) {
                        failStart = op.start();
                    }
                    if (op.kind() == Op.Kind.INC) {
                        uncertain++;
                        failedIncrements.put(op.seq(), op);
                    } else if (op.kind() == Op.Kind.INVALIDATE) {
                        session = null; // the client drops the cookie; the session may or may not be gone
                        acked = 0;
                        uncertain = 0;
                    }
                    continue;
                }
                latencies.add(op.latency());
                if (failStart != null) {
                    long outage = op.end() - failStart;
                    if (outage > maxOutage) {
                        maxOutage = outage;
                        maxOutageUser = user;
                    }
                    if (maxOutageMillis != null && outage > maxOutageMillis) {
                        violations.add(new Violation(Violation.Type.OUTAGE_TOO_LONG, user, op.sentSessionId(), op.node(),
                                failStart, "no successful request for " + outage + " ms (bound " + maxOutageMillis + " ms)"));
                    }
                    failStart = null;
                }
                if (op.sessionId() != null && op.kind() != Op.Kind.INVALIDATE
                        && op.start() > invalidated.getOrDefault(op.sessionId(), Long.MAX_VALUE)) {
                    violations.add(new Violation(Violation.Type.RESURRECTED, user, op.sessionId(), op.node(), op.start(),
                            op.kind() + " found the invalidated session with counter " + op.counter()));
                    if (op.kind() == Op.Kind.PROBE) {
                        continue;
                    }
                }
                switch (op.kind()) {
                    case INC -> {
                        acknowledged++;
                        if (op.sentSessionId() == null || session == null) {
                            session = op.sessionId();
                            acked = op.counter();
                            ackedSeq = op.seq();
                            uncertain = 0;
                            lastAckEnd = op.end();
                            continue;
                        }
                        Long shortTimeout = h.shortLivedTimeout(session);
                        if (!op.sessionId().equals(session) && shortTimeout != null
                                && op.start() - lastAckEnd >= shortTimeout) {
                            // A short-lived session that expired between two requests of its user: allowed.
                            session = op.sessionId();
                            acked = op.counter();
                            ackedSeq = op.seq();
                            uncertain = 0;
                            lastAckEnd = op.end();
                            continue;
                        }
                        if (!op.sessionId().equals(session)) {
                            violations.add(new Violation(Violation.Type.SESSION_LOST, user, session, op.node(), op.start(),
                                    "the request carried the cookie of " + session + " (acknowledged counter " + acked
                                            + ") and got a new session " + op.sessionId()));
                            lostIncrements += acked;
                            session = op.sessionId();
                            acked = op.counter();
                            ackedSeq = op.seq();
                            uncertain = 0;
                            continue;
                        }
                        long v = op.counter();
                        long again = 0; // this request's own first run, when its answer says it ran twice
                        if (op.replayed()) {
                            again = 1;
                            if (balancerResends) {
                                resends.add("user " + user + " request " + op.seq() + " answered " + v + " by "
                                        + op.node() + " after " + acked + ": the session had applied it already");
                            } else {
                                violations.add(new Violation(Violation.Type.APPLIED_TWICE, user, session, op.node(),
                                        op.start(), "increment answered " + v + " after " + acked
                                                + ", and the session had applied this request already"));
                            }
                        }
                        if (v <= acked) {
                            violations.add(new Violation(Violation.Type.STALE_READ, user, session, op.node(), op.start(),
                                    "increment answered " + v + " after " + acked + " was acknowledged: "
                                            + (acked - v + 1) + " acknowledged increment(s) lost"));
                            lostIncrements += acked - v + 1;
                        } else if (unexplained(op, v - (acked + 1 + again + uncertain), ackedSeq, failedIncrements,
                                credited)) {
                            violations.add(new Violation(Violation.Type.PHANTOM_INCREMENT, user, session, op.node(),
                                    op.start(), "increment answered " + v + " after " + acked + " with only " + uncertain
                                            + " unacknowledged increment(s) in between" + earlierOf(op)));
                        }
                        if (missingAcknowledged(op, ackedSeq, failedIncrements, violations)) {
                            lostIncrements++;
                        }
                        acked = v;
                        ackedSeq = op.seq();
                        uncertain = 0;
                        lastAckEnd = op.end();
                    }
                    case INVALIDATE -> {
                        String ranBefore = op.sessionId() == null && session != null
                                ? endedDuring(events.get(session), op) : null;
                        if (ranBefore != null && balancerResends) {
                            resends.add("user " + user + " request " + op.seq() + " (invalidate) found no session on "
                                    + op.node() + ": " + ranBefore);
                        } else if (op.sessionId() == null && session != null) {
                            violations.add(new Violation(Violation.Type.SESSION_LOST, user, session, op.node(), op.start(),
                                    "invalidate found no session (acknowledged counter " + acked + ")"
                                            + (ranBefore == null ? "" : "; " + ranBefore)));
                            lostIncrements += acked;
                        }
                        session = null;
                        acked = 0;
                        uncertain = 0;
                    }
                    case PROBE -> {
                        // A probe that found nothing is what we expect; one that found it is reported above.
                    }
                    case READ -> {
                        if (session == null) {
                            continue;
                        }
                        if (op.sessionId() == null) {
                            violations.add(new Violation(Violation.Type.SESSION_LOST, user, session, op.node(), op.start(),
                                    "final read on " + op.node() + " found no session (acknowledged counter " + acked + ")"));
                            lostIncrements += acked;
                        } else if (!op.sessionId().equals(session)) {
                            violations.add(new Violation(Violation.Type.SESSION_LOST, user, session, op.node(), op.start(),
                                    "final read on " + op.node() + " found another session " + op.sessionId()));
                        } else if (missingAcknowledged(op, ackedSeq, failedIncrements, violations)) {
                            lostIncrements++;
                        } else if (op.counter() < acked) {
                            violations.add(new Violation(Violation.Type.LOST_INCREMENT, user, session, op.node(), op.start(),
                                    "final read on " + op.node() + " shows " + op.counter() + ", acknowledged " + acked));
                            lostIncrements += acked - op.counter();
                        } else if (unexplained(op, op.counter() - (acked + uncertain), ackedSeq, failedIncrements,
                                credited)) {
                            violations.add(new Violation(Violation.Type.PHANTOM_INCREMENT, user, session, op.node(),
                                    op.start(), "final read on " + op.node() + " shows " + op.counter() + ", acknowledged "
                                            + acked + " with " + uncertain + " unacknowledged" + earlierOf(op)));
                        }
                    }
                    default -> throw new IllegalStateException("unknown kind " + op.kind());
                }
            }
            if (failStart != null && maxOutageMillis != null) {
                violations.add(new Violation(Violation.Type.OUTAGE_TOO_LONG, user, session, "-", failStart,
                        "never served again after its first failed request"));
            }
        }
        Map<String, Integer> destroyed = h.destroyedCounts();
        Map<String, List<String>> where = new HashMap<>();
        for (History.Destroyed d : h.destroyed()) {
            where.computeIfAbsent(d.sessionId(), k -> new ArrayList<>()).add(d.node() + "@" + d.at() + "ms");
        }
        expiredOnBothSides = 0;
        destroyed.forEach((id, n) -> {
            if (n == 2 && onceOnEachSide(events.get(id))) {
                expiredOnBothSides++;
            } else if (n > 1) {
                violations.add(new Violation(Violation.Type.DESTROYED_TWICE, -1, id, String.join(",", where.get(id)), 0,
                        "sessionDestroyed fired " + n + " times"));
            }
        });
        Set<String> expected = h.expectedExpiries();
        lostInWindow.clear();
        if (checkExpiry) {
            for (String id : expected) {
                if (!destroyed.containsKey(id) && announcedBeforeKill.containsKey(id)
                        && lostInWindow.size() < 2 * kills) {
                    lostInWindow.add(id + " (" + announcedBeforeKill.get(id) + ")");
                } else if (!destroyed.containsKey(id)) {
                    violations.add(new Violation(Violation.Type.NEVER_DESTROYED, -1, id, "-", 0,
                            "left to time out, sessionDestroyed never fired"));
                }
            }
        }
        latencies.sort(null);
        return new CheckResult(ops.size(), acknowledged, failures, lostIncrements, maxOutage, maxOutageUser,
                percentile(latencies, 0.50), percentile(latencies, 0.99), latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1),
                expected.size(), (int) expected.stream().filter(destroyed::containsKey).count(), invalidated.size(),
                violations);
    }

    /**
     * Whether {@code op}'s answer lists the requests its session applied and the last acknowledged one
     * ({@code ackedSeq}) is not among them where it must be: newer than it there can be only the user's failed
     * requests (run late or not answered), so a list that ends, or reaches another request, before it shows a
     * session whose copy was replaced by one that never applied that request. Adds the violation.
     */
    private static boolean missingAcknowledged(Op op, long ackedSeq, Map<Long, Op> failedIncrements,
                                               List<Violation> violations) {
        if (op.earlier().isEmpty() || ackedSeq < 0) {
            return false; // the answer does not tell (requests without ids), or nothing was acknowledged yet
        }
        String ackedId = op.user() + "-" + ackedSeq;
        for (String id : op.earlier()) {
            if (id.equals(ackedId)) {
                return false;
            }
            Long seq = seqOf(op.user(), id);
            if (seq == null || !failedIncrements.containsKey(seq)) {
                break; // another user's request, or one this user saw answered: it cannot be newer
            }
        }
        if (op.earlier().size() >= CounterServlet.RECENT && op.earlier().stream()
                .allMatch(id -> failedIncrements.containsKey(seqOf(op.user(), id)))) {
            return false; // as many failed requests as the list holds ran since: it cannot tell
        }
        violations.add(new Violation(Violation.Type.ACKNOWLEDGED_REQUEST_MISSING, op.user(), op.sessionId(), op.node(),
                op.start(), "request " + ackedId + " was acknowledged, and the session's requests are now "
                        + String.join(",", op.earlier()) + " (newest first; request " + op.seq() + ", "
                        + op.kind() + " answered " + op.counter() + ")"));
        return true;
    }

    /** The seq of request {@code id} when it is {@code user}'s ({@code <user>-<seq>}), else null. */
    private static Long seqOf(int user, String id) {
        int dash = id.lastIndexOf('-');
        if (dash < 0 || !id.substring(0, dash).equals(String.valueOf(user))) {
            return null;
        }
        try {
            return Long.parseLong(id.substring(dash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Whether {@code beyond} increments (none if not positive) are more than the late runs can account for. */
    private boolean unexplained(Op op, long beyond, long ackedSeq, Map<Long, Op> failedIncrements,
                                Set<Long> credited) {
        return beyond > 0 && beyond > creditLateRuns(op, ackedSeq, beyond, failedIncrements, credited);
    }

    /**
     * Credits up to {@code unexplained} increments of {@code op}'s answer to requests its client gave up on
     * before the last acknowledged answer (request {@code ackedSeq}) that the answer's {@code earlier} list
     * shows the session applied after that answer: a node may run a request long after its client stopped
     * waiting (HTTP cannot take a request back), and its increment then lands after a later one was
     * acknowledged. That is counted (see {@link #lateRuns()}) with its evidence, each request at most once;
     * an increment no failed request of the user accounts for stays a phantom. Returns how many were credited.
     */
    private long creditLateRuns(Op op, long ackedSeq, long unexplained, Map<Long, Op> failedIncrements,
                                Set<Long> credited) {
        long n = 0;
        String ackedId = op.user() + "-" + ackedSeq;
        for (String id : op.earlier()) {
            if (n == unexplained || id.equals(ackedId)) {
                break; // what the session applied before the acknowledged answer is older than it
            }
            Long seq = seqOf(op.user(), id);
            Op failed = seq == null ? null : failedIncrements.get(seq);
            if (failed != null && seq < ackedSeq && credited.add(seq)) {
                n++;
                lateRuns.add("user " + op.user() + " request " + seq + " (" + failed.outcome() + " on "
                        + failed.node() + ", " + failed.start() + "-" + failed.end() + " ms) was applied after request "
                        + ackedSeq + "'s answer: request " + op.seq() + " answered " + op.counter() + " on "
                        + op.node() + " with " + LoadClient.EARLIER + String.join(",", op.earlier()));
            }
        }
        return n;
    }

    private static String earlierOf(Op op) {
        return op.earlier().isEmpty() ? "" : " (" + LoadClient.EARLIER + String.join(",", op.earlier()) + ")";
    }

    /**
     * Another node's sessionDestroyed for the session while {@code op} was under way (the first run of a
     * resent invalidation, on the node that then died), described; or null.
     */
    private static String endedDuring(List<History.Destroyed> events, Op op) {
        if (events == null) {
            return null;
        }
        return events.stream().filter(d -> !d.node().equals(op.node()) && d.at() >= op.start() && d.at() <= op.end())
                .findFirst().map(d -> "sessionDestroyed fired on " + d.node() + " at " + d.at()
                        + " ms, during the request (" + op.start() + "-" + op.end() + " ms)")
                .orElse(null);
    }

    static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
