package org.sessiongrid.it.check;

import java.util.List;
import java.util.Map;

import org.sessiongrid.it.load.Op;

/** The checker's verdict and figures, with the table the report and the test output print. */
public record CheckResult(int requests, long acknowledgedIncrements, Map<Op.Outcome, Integer> failures,
                          long lostIncrements, long maxOutageMillis, int maxOutageUser, long p50Millis, long p99Millis,
                          long maxLatencyMillis, int expiriesExpected, int expiriesSeen, int invalidations,
                          List<Violation> violations) {

    public boolean passed() {
        return violations.isEmpty();
    }

    public int failed() {
        return failures.values().stream().mapToInt(Integer::intValue).sum();
    }

    public long count(Violation.Type type) {
        return violations.stream().filter(v -> v.type() == type).count();
    }

    /** A Markdown table: every check with its count, then the figures, then the first violations. */
    public String table(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(title).append(" — ").append(passed() ? "PASSED" : "FAILED").append("\n\n");
        sb.append("| check | violations |\n|---|---:|\n");
        for (Violation.Type t : Violation.Type.values()) {
            sb.append("| ").append(t.name().toLowerCase().replace('_', ' ')).append(" | ").append(count(t)).append(" |\n");
        }
        sb.append("\n| figure | value |\n|---|---:|\n");
        sb.append("| requests | ").append(requests).append(" |\n");
        sb.append("| acknowledged increments | ").append(acknowledgedIncrements).append(" |\n");
        sb.append("| lost acknowledged increments | ").append(lostIncrements).append(" |\n");
        sb.append("| failed requests | ").append(failed()).append(' ').append(failures).append(" |\n");
        sb.append("| longest outage of one user | ").append(maxOutageMillis).append(" ms |\n");
        sb.append("| latency p50 / p99 / max | ").append(p50Millis).append(" / ").append(p99Millis).append(" / ")
                .append(maxLatencyMillis).append(" ms |\n");
        sb.append("| sessions invalidated | ").append(invalidations).append(" |\n");
        sb.append("| sessions left to time out / destroyed | ").append(expiriesExpected).append(" / ").append(expiriesSeen)
                .append(" |\n");
        if (!violations.isEmpty()) {
            sb.append("\nFirst violations:\n\n");
            violations.stream().limit(20).forEach(v -> sb.append("- ").append(v).append('\n'));
            if (violations.size() > 20) {
                sb.append("- ... ").append(violations.size() - 20).append(" more\n");
            }
        }
        return sb.toString();
    }
}
