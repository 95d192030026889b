package org.sessiongrid.boot.actuate;

import java.util.Optional;

import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.metrics.GridMetricsMXBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code sessiongrid} component of {@code /actuator/health}:
 * <ul>
 * <li>UP while this member serves its sessions' requests;</li>
 * <li>OUT_OF_SERVICE while it is a member but refuses them ({@link SessionGrid#refusal()}: joining, rejoining
 * after a pause longer than failure detection, on the minority side of a partition under
 * {@code partition-policy=minority-refuses-writes}), with the reason as the detail {@code refusal}; a
 * readiness group that includes {@code sessiongrid} then takes the node out of its balancer's rotation
 * while its requests would fail;</li>
 * <li>DOWN while it is not a member (before the web server started it, after it stopped).</li>
 * </ul>
 * The details are the grid's own figures: the cluster and member, the members of the view, the topology
 * id, whether a rebalance is running, and the segments and sessions lost since start (every owner of a
 * segment gone at once).
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
        Optional<String> refusal = g.refusal();
        Health.Builder health = refusal.isPresent()
                ? Health.outOfService().withDetail("refusal", refusal.get())
                : Health.up();
        GridMetricsMXBean m = g.metrics();
        return health
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
