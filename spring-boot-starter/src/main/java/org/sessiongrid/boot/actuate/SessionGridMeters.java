package org.sessiongrid.boot.actuate;

import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.metrics.GridMetricsMXBean;
import org.sessiongrid.metrics.GridStats;

/**
 * The grid member's figures as Micrometer meters ({@code /actuator/metrics}, Prometheus with
 * {@code micrometer-registry-prometheus}). Every meter is a function of the grid's own counters
 * ({@link GridMetricsMXBean}, {@link GridStats}), read when the registry is scraped: nothing is
 * counted twice. Counters the grid keeps since the member started are function counters; figures
 * that go up and down are gauges. Replication latency is what the grid records, a histogram of the
 * time a primary's change took to reach all its backups: its 50th and 99th percentiles as time gauges
 * ({@code sessiongrid.replication.latency}, tag {@code quantile}) and its sample count as a function
 * counter ({@code sessiongrid.replications}). While this member is not in a grid, gauges read NaN and
 * counters 0.
 *
 * <p>Every meter carries the tag {@code cluster}.
 */
public final class SessionGridMeters implements MeterBinder {

    private final SessionGridHandle handle;
    private final Tags tags;

    /**
     * @param handle      the grid member this application's sessions live on
     * @param clusterName the {@code cluster} tag
     */
    public SessionGridMeters(SessionGridHandle handle, String clusterName) {
        this.handle = handle;
        this.tags = Tags.of("cluster", clusterName == null ? "" : clusterName);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "sessiongrid.members", "Members of the current view", null, m -> m.getMembers().size());
        gauge(registry, "sessiongrid.topology.id", "Id of the installed topology", null, GridMetricsMXBean::getTopologyId);
        gauge(registry, "sessiongrid.rebalance.in.progress", "1 while a rebalance runs, else 0", null,
                m -> m.isRebalanceInProgress() ? 1 : 0);
        gauge(registry, "sessiongrid.sessions", "Live sessions this member holds", Tags.of("role", "primary"),
                GridMetricsMXBean::getPrimarySessions);
        gauge(registry, "sessiongrid.sessions", "Live sessions this member holds", Tags.of("role", "backup"),
                GridMetricsMXBean::getBackupSessions);
        gauge(registry, "sessiongrid.segments", "Segments this member owns", Tags.of("role", "primary"),
                GridMetricsMXBean::getPrimarySegments);
        gauge(registry, "sessiongrid.segments", "Segments this member owns", Tags.of("role", "backup"),
                GridMetricsMXBean::getBackupSegments);
        Gauge.builder("sessiongrid.held", handle, h -> read(h, GridMetricsMXBean::getBytesHeld, Double.NaN))
                .description("Approximate bytes of the records this member holds, tombstones included")
                .baseUnit("bytes").tags(tags).register(registry);

        counter(registry, "sessiongrid.messages", "SessionGrid messages handed to or received from JGroups", null,
                Tags.of("direction", "sent"), GridMetricsMXBean::getMessagesSent);
        counter(registry, "sessiongrid.messages", "SessionGrid messages handed to or received from JGroups", null,
                Tags.of("direction", "received"), GridMetricsMXBean::getMessagesReceived);
        counter(registry, "sessiongrid.messages.bytes", "Encoded bytes of SessionGrid's messages", "bytes",
                Tags.of("direction", "sent"), GridMetricsMXBean::getBytesSent);
        counter(registry, "sessiongrid.messages.bytes", "Encoded bytes of SessionGrid's messages", "bytes",
                Tags.of("direction", "received"), GridMetricsMXBean::getBytesReceived);
        counter(registry, "sessiongrid.messages.dropped", "Messages dropped (malformed, busy, stale, unsealed)", null,
                Tags.empty(), GridMetricsMXBean::getDroppedMessages);
        counter(registry, "sessiongrid.merge.conflicts", "Sessions whose copies differed when partitions merged", null,
                Tags.empty(), GridMetricsMXBean::getMergeConflicts);
        counter(registry, "sessiongrid.commits", "Session changes committed through this member", null,
                Tags.empty(), GridMetricsMXBean::getCommits);
        counter(registry, "sessiongrid.commits.late", "Session changes made after the response was committed", null,
                Tags.empty(), GridMetricsMXBean::getLateCommits);
        counter(registry, "sessiongrid.retries", "Grid operations retried (e.g. after a topology change)", null,
                Tags.empty(), GridMetricsMXBean::getRetries);
        counter(registry, "sessiongrid.commits.fenced", "Updates refused because they would overwrite newer writes",
                null, Tags.empty(), GridMetricsMXBean::getFencedCommits);
        counter(registry, "sessiongrid.suspicions", "Members suspected after no answer within backupTimeout", null,
                Tags.of("outcome", "raised"), GridMetricsMXBean::getSuspicionsRaised);
        counter(registry, "sessiongrid.suspicions", "Members suspected after no answer within backupTimeout", null,
                Tags.of("outcome", "excluded"), GridMetricsMXBean::getSuspectsExcluded);
        counter(registry, "sessiongrid.suspicions", "Members suspected after no answer within backupTimeout", null,
                Tags.of("outcome", "deferred"), GridMetricsMXBean::getExclusionsDeferred);
        counter(registry, "sessiongrid.exits.proven", "Suspected members excluded at once: their host refused a connection",
                null, Tags.empty(), GridMetricsMXBean::getExitsProven);
        counter(registry, "sessiongrid.lost.segments", "Segments lost with all their owners", null,
                Tags.empty(), GridMetricsMXBean::getLostSegments);
        counter(registry, "sessiongrid.lost.sessions", "Sessions lost with all their owners", null,
                Tags.empty(), GridMetricsMXBean::getLostSessions);
        counter(registry, "sessiongrid.restored.segments", "Segments this member alone owned when it rejoined after a"
                + " pause, restored from the copies it set aside", null, Tags.empty(), GridMetricsMXBean::getRestoredSegments);
        counter(registry, "sessiongrid.restored.records", "Records those restores put back", null, Tags.empty(),
                GridMetricsMXBean::getRestoredRecords);
        counter(registry, "sessiongrid.restored.lost.records", "Sessions of segments lost with this member pushed back"
                + " to their primaries from its kept copies when it joined again, where still unknown", null,
                Tags.empty(), GridMetricsMXBean::getRestoredLostRecords);
        counter(registry, "sessiongrid.quarantined.attributes", "Attributes that could not be read back", null,
                Tags.empty(), GridMetricsMXBean::getQuarantinedAttributes);

        latency(registry, "0.5", 50.0);
        latency(registry, "0.99", 99.0);
        FunctionCounter.builder("sessiongrid.replications", handle,
                        h -> h.grid().map(g -> (double) g.stats().replicationLatency().count()).orElse(0.0))
                .description("Changes a primary replicated to its backups (the latency samples)")
                .tags(tags).register(registry);
    }

    private void latency(MeterRegistry registry, String quantile, double percentile) {
        TimeGauge.builder("sessiongrid.replication.latency", handle, TimeUnit.MICROSECONDS,
                        h -> h.grid().map(g -> (double) g.stats().replicationLatency().percentileMicros(percentile))
                                .orElse(Double.NaN))
                .description("Time for a primary's change to be applied by all its backups, since start")
                .tags(tags).tag("quantile", quantile).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, Tags extra,
            ToDoubleFunction<GridMetricsMXBean> f) {
        Gauge.builder(name, handle, h -> read(h, f, Double.NaN)).description(description).tags(tags)
                .tags(extra == null ? Tags.empty() : extra).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, String baseUnit, Tags extra,
            ToDoubleFunction<GridMetricsMXBean> f) {
        FunctionCounter.Builder<SessionGridHandle> b = FunctionCounter.builder(name, handle, h -> read(h, f, 0.0))
                .description(description).tags(tags).tags(extra);
        if (baseUnit != null) {
            b.baseUnit(baseUnit);
        }
        b.register(registry);
    }

    private static double read(SessionGridHandle h, ToDoubleFunction<GridMetricsMXBean> f, double absent) {
        return h.grid().map(g -> f.applyAsDouble(g.metrics())).orElse(absent);
    }
}
