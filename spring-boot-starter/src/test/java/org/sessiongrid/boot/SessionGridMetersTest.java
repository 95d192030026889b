package org.sessiongrid.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.sessiongrid.boot.actuate.SessionGridMeters;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.metrics.GridMetricsMXBean;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * The meters are the grid's own figures, read from its counters, not counts of their own: each equals
 * the member's MXBean value (a counter that moves in the background lies between the MXBean's readings
 * before and after); without a grid, gauges read NaN and counters 0.
 */
class SessionGridMetersTest {

    @Test
    void metersReadTheGridsCounters() throws Exception {
        String cluster = "meters-" + ProcessHandle.current().pid();
        try (SessionGrid a = SessionGrid.start(config(cluster, "A")); SessionGrid b = SessionGrid.start(config(cluster, "B"))) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!(a.isStable() && b.isStable() && a.topologyId() == b.topologyId() && a.members().size() == 2)) {
                assertTrue(System.nanoTime() < deadline, "two members settled within 60 s");
                Thread.sleep(50);
            }
            MeterRegistry registry = new SimpleMeterRegistry();
            new SessionGridMeters(() -> Optional.of(a), cluster).bindTo(registry);
            SessionStore store = a.store("localhost/meters");
            for (int i = 0; i < 5; i++) {
                SessionRecord r = store.create("s" + i, SessionDelta.builder().maxInactiveInterval(600).build());
                store.commit("s" + i, SessionDelta.builder().set("v", "x".getBytes(StandardCharsets.UTF_8)).build(), r);
            }
            GridMetricsMXBean m = a.metrics();
            assertEquals(m.getCommits(), counter(registry, "sessiongrid.commits"));
            assertTrue(m.getCommits() > 0, "commits counted by the grid");
            assertEquals(2.0, registry.get("sessiongrid.members").gauge().value());
            assertEquals(m.getTopologyId(), registry.get("sessiongrid.topology.id").gauge().value());
            assertEquals(m.getPrimarySessions(), registry.get("sessiongrid.sessions").tag("role", "primary").gauge().value());
            assertEquals(m.getBackupSessions(), registry.get("sessiongrid.sessions").tag("role", "backup").gauge().value());
            assertEquals(a.stats().replicationLatency().count(), counter(registry, "sessiongrid.replications"));
            assertEquals(m.getReplicationLatencyP99Micros(), registry.get("sessiongrid.replication.latency")
                    .tag("quantile", "0.99").timeGauge().value(java.util.concurrent.TimeUnit.MICROSECONDS));
            long before = m.getMessagesSent();
            double meter = registry.get("sessiongrid.messages").tag("direction", "sent").functionCounter().count();
            long after = m.getMessagesSent();
            assertTrue(before > 0 && before <= meter && meter <= after, before + " <= " + meter + " <= " + after);
            assertEquals(m.getMergeConflicts(), counter(registry, "sessiongrid.merge.conflicts"));
            assertEquals(m.getDroppedMessages(), counter(registry, "sessiongrid.messages.dropped"));
        }
    }

    @Test
    void withoutAGridGaugesReadNanAndCountersZero() {
        MeterRegistry registry = new SimpleMeterRegistry();
        new SessionGridMeters(Optional::empty, "none").bindTo(registry);
        assertTrue(Double.isNaN(registry.get("sessiongrid.members").gauge().value()));
        assertEquals(0.0, counter(registry, "sessiongrid.commits"));
        assertEquals("none", registry.get("sessiongrid.commits").functionCounter().getId().getTag("cluster"));
    }

    private static GridConfig config(String cluster, String node) {
        return GridConfig.builder(cluster).stack("test-loopback").nodeName(node).build();
    }

    private static double counter(MeterRegistry registry, String name) {
        return registry.get(name).functionCounter().count();
    }
}
