package org.sessiongrid.demo.node;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.sessiongrid.demo.Json;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionOwners;
import org.sessiongrid.metrics.GridMetricsMXBean;

/**
 * This node's grid figures as JSON (the same figures as the JMX MBean), and with {@code ?session=ID}
 * where that session lives. Never creates or touches a session.
 */
final class StatusServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final String name;
    private final transient Supplier<SessionGrid> grid;
    private final transient Supplier<String> namespace;

    /**
     * @param grid      the node's grid member, null while the webapp is stopped
     * @param namespace the sample webapp's grid namespace (the container adapter names it)
     */
    StatusServlet(String name, Supplier<SessionGrid> grid, Supplier<String> namespace) {
        this.name = name;
        this.grid = grid;
        this.namespace = namespace;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", name);
        out.put("pid", ProcessHandle.current().pid());
        SessionGrid g = grid.get();
        if (g == null) {
            out.put("state", "no grid (the webapp is not started)");
        } else {
            GridMetricsMXBean m = g.metrics();
            out.put("state", "member");
            out.put("member", m.getMemberName());
            out.put("members", m.getMembers());
            out.put("coordinator", m.isCoordinator());
            out.put("viewId", m.getViewId());
            out.put("topologyId", m.getTopologyId());
            out.put("numSegments", g.topologyId() == 0 ? 0 : g.config().numSegments());
            out.put("primarySegments", m.getPrimarySegments());
            out.put("backupSegments", m.getBackupSegments());
            out.put("primarySessions", m.getPrimarySessions());
            out.put("backupSessions", m.getBackupSessions());
            out.put("bytesHeld", m.getBytesHeld());
            out.put("rebalanceInProgress", m.isRebalanceInProgress());
            out.put("rebalanceSegmentsPending", m.getRebalanceSegmentsPending());
            out.put("rebalancesCompleted", m.getRebalancesCompleted());
            out.put("recordsTransferred", m.getRecordsTransferred());
            out.put("replicationLatencyP50Micros", m.getReplicationLatencyP50Micros());
            out.put("replicationLatencyP99Micros", m.getReplicationLatencyP99Micros());
            out.put("lostSegments", m.getLostSegments());
            out.put("commits", m.getCommits());
            String id = req.getParameter("session");
            if (id != null && !id.isBlank()) {
                try {
                    SessionOwners o = g.store(namespace.get()).owners(id);
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("id", id);
                    s.put("segment", o.segment());
                    s.put("topologyId", o.topologyId());
                    s.put("primary", o.primary());
                    s.put("backups", o.backups());
                    out.put("session", s);
                } catch (RuntimeException e) {
                    out.put("session", Map.of("id", id, "error", String.valueOf(e.getMessage())));
                }
            }
        }
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.getWriter().print(Json.write(out));
    }

}
