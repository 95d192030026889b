package org.sessiongrid.grid;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import org.sessiongrid.placement.Member;
import org.sessiongrid.session.Attributes;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.topology.TopologyCoordinator;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;

/**
 * Counts and lists the sessions of this member's primary segments: the periodic report to the
 * coordinator (so that a segment lost with every owner is reported with its session count), the counts
 * a member answers a topology update with, and the cluster-wide listing of sessions.
 *
 * <p>Thread safety: no state of its own; it reads the store and the installed topology, which are
 * thread-safe. The report runs on the scheduler thread, listings on the caller's.
 */
final class Census {

    /** How often a member tells the coordinator how many sessions its primary segments hold. */
    static final long REPORT_MILLIS = 2_000;

    private final InstalledTopology installed;
    private final RecordStore records;
    private final ClusterTransport transport;
    private final BiConsumer<int[], int[]> ownCoordinator;
    private final long remoteTimeout;

    /**
     * @param ownCoordinator takes (segments, sessions) when this member is the coordinator (see
     *                       {@link TopologyCoordinator#reportCounts})
     */
    Census(InstalledTopology installed, RecordStore records, ClusterTransport transport,
           BiConsumer<int[], int[]> ownCoordinator, long remoteTimeout) {
        this.installed = installed;
        this.records = records;
        this.transport = transport;
        this.ownCoordinator = ownCoordinator;
        this.remoteTimeout = remoteTimeout;
    }

    /** Tells the coordinator (this member's role, or the view's first member) the counts of this member's primaries. */
    void report() {
        Topology t = installed.get();
        if (t == null) {
            return;
        }
        GridMessage.SegmentCounts counts = primaryCounts(t);
        List<Member> view = transport.viewMembers();
        if (view.isEmpty()) {
            return;
        }
        if (view.get(0).equals(transport.self())) {
            ownCoordinator.accept(counts.segments(), counts.sessions());
        } else {
            transport.request(view.get(0), counts, remoteTimeout);
        }
    }

    /** Live sessions in each segment this member is primary of under {@code t}. */
    GridMessage.SegmentCounts primaryCounts(Topology t) {
        Member me = transport.self();
        List<int[]> pairs = new ArrayList<>();
        for (int s = 0; s < t.numSegments(); s++) {
            if (me.equals(t.primary(s))) {
                int live = 0;
                for (SessionRecord r : records.records(s)) {
                    if (!r.isTombstone()) {
                        live++;
                    }
                }
                pairs.add(new int[] {s, live});
            }
        }
        return new GridMessage.SegmentCounts(pairs.stream().mapToInt(p -> p[0]).toArray(),
                pairs.stream().mapToInt(p -> p[1]).toArray());
    }

    /** See {@link SessionGrid#listSessions(String)}; duplicates (during a topology change) keep the newest. */
    Map<String, List<SessionRecord>> listSessions(String namespace, boolean exact) {
        Map<SessionKey, SessionRecord> all = new HashMap<>();
        List<GridMessage> replies = new ArrayList<>(transport.requestAll(transport.viewMembers(),
                new GridMessage.ListSessions(namespace, exact), remoteTimeout).values());
        replies.add(localSessions(namespace, exact));
        for (GridMessage r : replies) {
            if (r instanceof GridMessage.SessionList l) {
                for (SessionRecord rec : l.records()) {
                    all.merge(rec.key(), rec, (a, b) -> a.version() >= b.version() ? a : b);
                }
            }
        }
        Map<String, List<SessionRecord>> out = new TreeMap<>();
        all.values().forEach(r -> out.computeIfAbsent(r.key().namespace(), n -> new ArrayList<>()).add(r));
        return out;
    }

    /** The live sessions of this member's primary segments in {@code namespace} (or under it), without attributes. */
    GridMessage.SessionList localSessions(String namespace, boolean exact) {
        Topology t = installed.get();
        List<SessionRecord> out = new ArrayList<>();
        if (t != null) {
            Member me = transport.self();
            for (int s = 0; s < t.numSegments(); s++) {
                if (!me.equals(t.primary(s))) {
                    continue;
                }
                for (SessionRecord r : records.records(s)) {
                    String ns = r.key().namespace();
                    if (!r.isTombstone() && (exact ? ns.equals(namespace) : ns.startsWith(namespace))) {
                        out.add(new SessionRecord(r.key(), r.version(), r.meta(), Attributes.empty()));
                    }
                }
            }
        }
        return new GridMessage.SessionList(out);
    }
}
