package org.sessiongrid.grid;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.sessiongrid.placement.Member;
import org.sessiongrid.replication.MergeParticipant;
import org.sessiongrid.topology.CoordinatorContext;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.MemberStatus;
import org.sessiongrid.topology.MergeOutcome;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.KeptQuery;
import org.sessiongrid.wire.GridMessage.KeptSegments;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;

/**
 * What this member's {@link org.sessiongrid.topology.TopologyCoordinator} reaches the cluster through:
 * installing a topology here and on every member, asking every member for its status, having them push
 * their records for a merge.
 *
 * <p>Thread safety: no state of its own; called on the coordinator thread.
 */
final class CoordinatorLink implements CoordinatorContext {

    private final GridConfig config;
    private final ClusterTransport transport;
    private final InstalledTopology installed;
    private final TopologyInstaller installer;
    private final BooleanSupplier joined;
    private final Census census;
    private final MergeParticipant merge;

    CoordinatorLink(GridConfig config, ClusterTransport transport, InstalledTopology installed,
                    TopologyInstaller installer, BooleanSupplier joined, Census census, MergeParticipant merge) {
        this.config = config;
        this.transport = transport;
        this.installed = installed;
        this.installer = installer;
        this.joined = joined;
        this.census = census;
        this.merge = merge;
    }

    @Override
    public Member self() {
        return transport.self();
    }

    @Override
    public List<Member> viewMembers() {
        return transport.viewMembers();
    }

    @Override
    public long[] installEverywhere(Topology t) {
        installer.install(t, self());
        List<Member> others = new ArrayList<>(viewMembers());
        others.remove(self());
        Map<Member, GridMessage> replies = new HashMap<>(
                transport.requestAll(others, new TopologyUpdate(t), config.remoteTimeout()));
        // A member that did not answer (a view change in flight) gets one more try; a member that
        // still misses it catches up when it next meets a newer topology id (see Membership.catchUp).
        List<Member> missing = others.stream().filter(m -> !replies.containsKey(m) && transport.isInView(m)).toList();
        if (!missing.isEmpty()) {
            replies.putAll(transport.requestAll(missing, new TopologyUpdate(t), config.remoteTimeout()));
        }
        long[] counts = new long[t.numSegments()];
        Arrays.fill(counts, -1);
        List<GridMessage> all = new ArrayList<>(replies.values());
        all.add(census.primaryCounts(t));
        for (GridMessage r : all) {
            if (r instanceof GridMessage.SegmentCounts c) {
                int[] segs = c.segments();
                int[] n = c.sessions();
                for (int i = 0; i < segs.length; i++) {
                    if (segs[i] >= 0 && segs[i] < counts.length) {
                        counts[segs[i]] = n[i];
                    }
                }
            }
        }
        return counts;
    }

    @Override
    public void resend(Topology t, List<Member> members) {
        List<Member> others = members.stream().filter(m -> !m.equals(self())).toList();
        if (!others.isEmpty()) {
            transport.requestAll(others, new TopologyUpdate(t), config.remoteTimeout());
        }
    }

    @Override
    public MergeOutcome pushForMerge(long mergeId, Topology target) {
        return merge.pushEverywhere(mergeId, target);
    }

    @Override
    public Set<Member> reachable(List<Member> members) {
        Set<Member> out = new HashSet<>();
        if (members.contains(self())) {
            out.add(self());
        }
        // A member that answers without seeing this one is in another view: it counts for that side, not this one.
        transport.requestAll(members, new TopologyQuery(), config.backupTimeout()).forEach((m, r) -> {
            if (r instanceof TopologyStatus s && s.seesSender()) {
                out.add(m);
            }
        });
        return out;
    }

    @Override
    public Map<Member, MemberStatus> queryAll() {
        Map<Member, MemberStatus> out = new HashMap<>();
        out.put(self(), new MemberStatus(installed.get(), joined.getAsBoolean(), config.numSegments(), config.numOwners(),
                installer.keptSegments()));
        List<Member> others = new ArrayList<>(viewMembers());
        others.remove(self());
        // Asked beside the status, not after it: a member that does not answer costs one wait, not two.
        Map<Member, CompletableFuture<GridMessage>> kept = new HashMap<>();
        for (Member m : others) {
            kept.put(m, transport.request(m, new KeptQuery(), config.remoteTimeout()));
        }
        transport.requestAll(others, new TopologyQuery(), config.remoteTimeout()).forEach((m, r) -> {
            if (r instanceof TopologyStatus s) {
                out.put(m, new MemberStatus(s.topology(), s.joined(), s.numSegments(), s.numOwners(), keptOf(kept.get(m))));
            }
        });
        return out;
    }

    /**
     * A member's answer to the {@link KeptQuery} sent beside its status: it answered the status, so this comes
     * at once too; a member of an older version answers {@link GridMessage.Failure} (nothing kept, as far as known).
     */
    private BitSet keptOf(CompletableFuture<GridMessage> answer) {
        try {
            return answer.get(config.remoteTimeout(), TimeUnit.MILLISECONDS) instanceof KeptSegments k ? k.segments()
                    : new BitSet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new BitSet();
        } catch (ExecutionException | TimeoutException e) {
            return new BitSet();
        }
    }
}
