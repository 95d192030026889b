package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.MergeOutcome;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Failure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's part in merging the sides of a healed partition: it pushes every record it holds to
 * that record's primary under the merged topology, keeps the better copy of what others push to it
 * ({@link RecordStore#mergeIn}), and refuses changes between its push and its install of the merged
 * topology (the merge fence). The coordinator's side of a merge is
 * {@link org.sessiongrid.topology.TopologyCoordinator}; it reaches this class through
 * {@link #pushEverywhere}.
 *
 * <p>Thread safety: the fence is two volatile fields, written by a push and read by request handlers (a
 * later merge round's push moves it to its own, higher, target); the conflict keys are a concurrent map.
 */
public final class MergeParticipant {

    private static final Logger LOG = LoggerFactory.getLogger(MergeParticipant.class);

    private final Supplier<Member> self;
    private final Supplier<List<Member>> view;
    private final Messenger transport;
    private final InstalledTopology installed;
    private final RecordStore records;
    private final int chunkSize;
    private final long remoteTimeout;
    private final long leaveTimeout;

    /** The merged topology's id this member waits for before it takes changes again (0: none). */
    private volatile long fence;
    private volatile long fenceDeadline;

    /** Keys already counted as conflicts in the merge under way, so each session counts once. */
    private final Map<SessionKey, Long> conflictKeys = new ConcurrentHashMap<>();

    /** What one member's push did: conflicts found at the primaries, and whether every record got there. */
    public record Pushed(long conflicts, boolean complete) {
    }

    /**
     * @param view         this member's view, in view order
     * @param leaveTimeout bounds the fence and the wait for the other members' pushes
     */
    public MergeParticipant(Supplier<Member> self, Supplier<List<Member>> view, Messenger transport,
                            InstalledTopology installed, RecordStore records, int chunkSize, long remoteTimeout,
                            long leaveTimeout) {
        this.self = self;
        this.view = view;
        this.transport = transport;
        this.installed = installed;
        this.records = records;
        this.chunkSize = chunkSize;
        this.remoteTimeout = remoteTimeout;
        this.leaveTimeout = leaveTimeout;
    }

    /**
     * On the merge's coordinator: pushes this member's records, asks every other member of the view to
     * push theirs, and reports the conflicts and the members whose push was incomplete.
     */
    public MergeOutcome pushEverywhere(long mergeId, Topology target) {
        Pushed own = push(mergeId, target);
        long conflicts = own.conflicts();
        List<Member> incomplete = new ArrayList<>();
        Member me = self.get();
        if (!own.complete()) {
            incomplete.add(me);
        }
        List<Member> others = new ArrayList<>(view.get());
        others.remove(me);
        Map<Member, GridMessage> replies = transport.requestAll(others, new GridMessage.MergePush(mergeId, target),
                leaveTimeout);
        for (Member m : others) {
            // A member that answers anything else did not push everything (or did not get to push at all).
            if (replies.get(m) instanceof GridMessage.MergeResult r) {
                conflicts += r.conflicts();
            } else {
                incomplete.add(m);
            }
        }
        return new MergeOutcome(conflicts, incomplete);
    }

    /**
     * True between this member's push and its install of the merged topology. A change stored here
     * in that window would be in none of the pushed copies, and the merged topology's primaries are the
     * only ones that keep data: it would vanish. So changes wait (Retry) for the merged topology,
     * at most leaveTimeout (a coordinator that died mid-merge is followed by another topology anyway).
     */
    public boolean frozen() {
        long f = fence;
        return f != 0 && installed.id() < f && System.nanoTime() - fenceDeadline < 0;
    }

    /** The merged topology's id changes wait for while {@link #frozen}. */
    public long fence() {
        return fence;
    }

    /**
     * Pushes every record held here to its primary under {@code target}. A primary that fails a chunk
     * (it left, or refused) gets nothing more in this push: the coordinator learns the push was
     * incomplete and merges again with the view as it is then, and the records stay here until then.
     */
    public Pushed push(long mergeId, Topology target) {
        fenceDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaveTimeout);
        fence = target.id();
        // Changes that began before the fence are stored before the push reads the records.
        installed.awaitChangesInProgress();
        Member me = self.get();
        long conflicts = 0;
        Map<Member, String> failed = new HashMap<>();
        Map<Member, Integer> unpushed = new HashMap<>();
        for (int s = 0; s < target.numSegments(); s++) {
            Member primary = target.primary(s);
            if (primary == null || primary.equals(me)) {
                continue;
            }
            List<SessionRecord> chunk = new ArrayList<>();
            for (java.util.Iterator<SessionRecord> it = records.records(s).iterator(); it.hasNext(); ) {
                chunk.add(it.next());
                if (chunk.size() == chunkSize || !it.hasNext()) {
                    if (failed.containsKey(primary)) {
                        unpushed.merge(primary, chunk.size(), Integer::sum);
                    } else {
                        GridMessage r = pushChunk(primary, mergeId, chunk);
                        if (r instanceof GridMessage.MergeResult m) {
                            conflicts += m.conflicts();
                        } else {
                            failed.put(primary, String.valueOf(r));
                            unpushed.merge(primary, chunk.size(), Integer::sum);
                        }
                    }
                    chunk = new ArrayList<>();
                }
            }
        }
        failed.forEach((primary, why) -> LOG.warn("{}: merge push to {} failed ({}); {} records kept here for the next "
                + "merge round", me, primary, why, unpushed.get(primary)));
        return new Pushed(conflicts, failed.isEmpty());
    }

    /** The primary's answer to one chunk, or a {@link Failure} saying why there is none. */
    private GridMessage pushChunk(Member primary, long mergeId, List<SessionRecord> chunk) {
        try {
            // The receiver may wait for its view to show this member: allow for it.
            long timeout = leaveTimeout / 2 + remoteTimeout;
            return transport.request(primary, new GridMessage.MergeRecords(mergeId, chunk), timeout)
                    .get(timeout + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            return new Failure(String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    /** Keeps the better copy of each record another member pushed here; counts each session's conflict once. */
    public GridMessage.MergeResult mergeIn(GridMessage.MergeRecords m) {
        conflictKeys.values().removeIf(id -> id != m.mergeId());
        long conflicts = 0;
        for (SessionRecord r : m.records()) {
            if (records.mergeIn(r) && conflictKeys.putIfAbsent(r.key(), m.mergeId()) == null) {
                conflicts++;
            }
        }
        return new GridMessage.MergeResult(conflicts);
    }
}
