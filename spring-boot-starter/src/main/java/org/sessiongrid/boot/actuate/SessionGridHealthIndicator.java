package org.sessiongrid.boot.actuate;

import java.util.Optional;

import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.metrics.GridMetricsMXBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code sessiongrid} component of {@code /actuator/health}: UP while this member is in the grid,
 * DOWN while it is not (before the web server started it, after it stopped). The details are the
 * grid's own figures: the cluster and member, the members of the view, the topology id, whether a
 * rebalance is running, and the segments and sessions lost since start (every owner of a segment gone
 * at once).
 */
public final class SessionGridHealthIndicator implements HealthIndicator {

    private final SessionGridHandle handle;

    /** @param handle the grid member this application's sessions live on */
    public SessionGridHealthIndicator(SessionGridHandle handle) {
        this.handle = handle;
    }

    @Override
    public Health health() {
        Optional<SessionGrid> grid = handle.grid();
        if (grid.isEmpty()) {
            return Health.down().withDetail("reason", "not a member of a grid (the web server is not running)").build();
        }
        SessionGrid g = grid.get();
        GridMetricsMXBean m = g.metrics();
        return Health.up()
                .withDetail("cluster", m.getClusterName())
                .withDetail("member", m.getMemberName())
                .withDetail("members", m.getMembers())
                .withDetail("coordinator", m.isCoordinator())
                .withDetail("topologyId", m.getTopologyId())
                .withDetail("stable", g.isStable())
                .withDetail("rebalanceInProgress", m.isRebalanceInProgress())
                .withDetail("rebalanceSegmentsPending", m.getRebalanceSegmentsPending())
                .withDetail("lostSegments", m.getLostSegments())
                .withDetail("lostSessions", m.getLostSessions())
                .build();
    }
}
