package org.sessiongrid.bench.measure;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.sessiongrid.it.check.CheckResult;
import org.sessiongrid.it.check.Violation;
import org.sessiongrid.it.load.History;
import org.sessiongrid.it.load.Op;

/**
 * A kill -9 of one node under sticky load, as the users saw it.
 *
 * @param killedAt history time of the kill
 * @param affectedUsers users whose session lived on the killed node (their last request before the kill went there)
 * @param recoveryMillis time from the kill until every affected user had a successful request again (-1: not all did)
 * @param failedRequests failed requests after the kill
 * @param lostSessions affected sessions that came back empty or with another id
 * @param lostUpdates acknowledged increments lost (checker)
 * @param timeline successful requests per 250 ms bucket (bucket start, history time)
 */
public record FailoverFigures(long killedAt, int affectedUsers, long recoveryMillis, long failedRequests,
                              long lostSessions, long lostUpdates, long violations, Map<Long, Integer> timeline) {

    public static final long BUCKET_MILLIS = 250;

    public static FailoverFigures of(History h, long killedAt, String killedNode, CheckResult check) {
        List<Op> ops = h.ops();
        Map<Integer, Op> lastBefore = new HashMap<>();
        for (Op op : ops) {
            if (op.start() < killedAt && op.ok()) {
                lastBefore.put(op.user(), op); // ops are in per-user order
            }
        }
        Set<Integer> affected = new HashSet<>();
        lastBefore.forEach((u, op) -> {
            if (op.node().equals(killedNode)) {
                affected.add(u);
            }
        });
        Map<Integer, Long> servedAgain = new HashMap<>();
        long failed = 0;
        Map<Long, Integer> timeline = new TreeMap<>();
        for (Op op : ops) {
            if (op.ok()) {
                timeline.merge(op.end() / BUCKET_MILLIS * BUCKET_MILLIS, 1, Integer::sum);
            }
            // The load only increments: READs are the final convergence reads, not service to the users.
            if (op.start() < killedAt || op.kind() == Op.Kind.READ) {
                continue;
            }
            if (!op.ok()) {
                failed++;
            } else if (affected.contains(op.user())) {
                servedAgain.putIfAbsent(op.user(), op.end());
            }
        }
        long recovery = servedAgain.size() < affected.size() ? -1
                : servedAgain.values().stream().mapToLong(t -> t - killedAt).max().orElse(0);
        return new FailoverFigures(killedAt, affected.size(), recovery, failed, check.count(Violation.Type.SESSION_LOST),
                check.lostIncrements(), check.violations().size(), timeline);
    }
}
