package org.sessiongrid.demo;

import java.util.List;
import java.util.Map;

/** The farm's status JSON as a table for a terminal ({@code bin/sessiongrid status}). */
public final class StatusTable {

    private StatusTable() {
    }

    @SuppressWarnings("unchecked")
    public static String render(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        b.append("SessionGrid demo farm  ").append(s.get("balancer")).append("  balancer mode: ").append(s.get("mode"));
        if (s.get("container") != null) {
            b.append("  nodes: ").append(s.get("container"));
        }
        b.append('\n');
        b.append("topology ").append(s.get("topologyId")).append("  members ").append(s.get("members"))
                .append("  segments ").append(s.get("numSegments")).append('\n');
        b.append("rebalance: ").append(Boolean.TRUE.equals(s.get("rebalanceInProgress"))
                ? "in progress, " + s.get("rebalanceSegmentsPending") + " segments to pull" : "done").append("\n\n");
        b.append(String.format("%-5s %-9s %8s %9s %9s %9s %9s %6s%n", "node", "state", "pid", "prim.seg", "back.seg",
                "prim.sess", "back.sess", "coord"));
        for (Object o : (List<Object>) s.getOrDefault("nodes", List.of())) {
            Map<String, Object> n = (Map<String, Object>) o;
            Map<String, Object> g = n.get("grid") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            b.append(String.format("%-5s %-9s %8s %9s %9s %9s %9s %6s%n", n.get("name"), n.get("state"), n.get("pid"),
                    g.getOrDefault("primarySegments", "-"), g.getOrDefault("backupSegments", "-"),
                    g.getOrDefault("primarySessions", "-"), g.getOrDefault("backupSessions", "-"),
                    Boolean.TRUE.equals(g.get("coordinator")) ? "yes" : ""));
        }
        return b.toString();
    }
}
