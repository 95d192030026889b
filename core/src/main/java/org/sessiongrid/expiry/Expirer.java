package org.sessiongrid.expiry;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import org.sessiongrid.placement.Member;
import org.sessiongrid.replication.RecordStore;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires sessions whose segment this member is primary of, and forgets tombstones whose time is
 * up. Only the primary expires, through its ordinary commit path (so the tombstone reaches every
 * backup before anyone is told), and the container is told once, here.
 *
 * <p>A member that just became primary of a segment waits a grace period before expiring what it
 * inherited, because access times reach backups up to {@code accessTimeGranularity} late. Runs on
 * one scheduler thread; {@link #onTopology} is called by the topology installer.
 */
public final class Expirer {

    private static final Logger LOG = LoggerFactory.getLogger(Expirer.class);
    private static final int BATCH = 5_000;

    private final RecordStore records;
    private final Supplier<Member> self;
    private final Supplier<Topology> topology;
    private final Function<CommitRequest, GridMessage> localCommit;
    private final Consumer<SessionRecord> expired;
    private final long graceMillis;
    private final long slackMillis;
    private final java.util.function.BooleanSupplier stopped;
    private final int tombstoneSeconds;
    private final long[] primarySince;

    /**
     * @param stopped true while this member must not expire anything: stopped, or on the refusing
     *                side of a partition (the majority expires; a minority that also did would fire the
     *                listeners twice)
     */
    private final java.util.function.Predicate<String> mutedNamespace;

    public Expirer(java.util.function.BooleanSupplier stopped, RecordStore records, Supplier<Member> self,
                   Supplier<Topology> topology,
                   Function<CommitRequest, GridMessage> localCommit, Consumer<SessionRecord> expired,
                   java.util.function.Predicate<String> mutedNamespace, long graceMillis,
                   long slackMillis, int tombstoneSeconds) {
        this.mutedNamespace = mutedNamespace;
        this.slackMillis = slackMillis;
        this.stopped = stopped;
        this.records = records;
        this.self = self;
        this.topology = topology;
        this.localCommit = localCommit;
        this.expired = expired;
        this.graceMillis = graceMillis;
        this.tombstoneSeconds = tombstoneSeconds;
        this.primarySince = new long[records.numSegments()];
    }

    /** Notes the segments this member became primary of with {@code t}. */
    public synchronized void onTopology(Topology previous, Topology t) {
        Member me = self.get();
        long now = System.currentTimeMillis();
        for (int s = 0; s < t.numSegments(); s++) {
            boolean primaryNow = me.equals(t.primary(s));
            boolean primaryBefore = previous != null && me.equals(previous.primary(s));
            if (primaryNow && !primaryBefore) {
                primarySince[s] = now;
            }
        }
    }

    private synchronized boolean inGrace(int segment, long now) {
        return now - primarySince[segment] < graceMillis;
    }

    /** One pass: expires and announces what is due. Returns the number of sessions expired. */
    public int run() {
        long now = System.currentTimeMillis();
        Topology t = topology.get();
        if (t == null) {
            return 0;
        }
        Member me = self.get();
        int count = 0;
        // Sessions are due one slack after their expiry time (access times may be that late); the
        // primary re-checks under its commit path anyway.
        // Muted namespaces (their webapp stopped here) are passed over, so they cannot fill every batch.
        List<SessionKey> due = records.expiryIndex().due(now - slackMillis, BATCH,
                k -> !mutedNamespace.test(k.namespace()));
        for (SessionKey key : due) {
            if (stopped.getAsBoolean()) {
                break;
            }
            SessionRecord r = records.get(key);
            if (r == null) {
                records.expiryIndex().remove(key);
                continue;
            }
            int segment = records.segmentOf(key);
            boolean primary = me.equals(t.primary(segment));
            if (r.isUnannouncedExpiry()) {
                // Expired but not announced: the primary that expired it failed or died before it told
                // the container. The primary now announces it (after its grace period, in case the
                // previous primary is still about to).
                if (primary && !inGrace(segment, now)) {
                    announce(t, key);
                }
                continue;
            }
            if (r.isTombstone()) {
                // Every owner forgets its own tombstone copy when its time is up; no message needed.
                records.remove(key, r);
                continue;
            }
            if (!primary || inGrace(segment, now)) {
                continue;
            }
            GridMessage reply = localCommit.apply(new CommitRequest(t.id(), key, CommitKind.EXPIRE, 0,
                    SessionDelta.builder().build(), tombstoneSeconds, 0, null, 0));
            if (reply instanceof CommitReply c && c.status() == CommitStatus.OK) {
                count++;
                announce(t, key);
            }
        }
        return count;
    }

    /**
     * Records at the owners that the expiry is announced, and only if this member made that change,
     * calls the listeners: whichever primary wins the change calls them, so a primary change between
     * expiring and announcing (a rebalance) cannot call them twice. A primary that dies between its
     * change and the call leaves the session without its call.
     */
    private void announce(Topology t, SessionKey key) {
        GridMessage reply = localCommit.apply(new CommitRequest(t.id(), key, CommitKind.ANNOUNCE, 0,
                SessionDelta.builder().build(), tombstoneSeconds, 0, null, 0));
        if (reply instanceof CommitReply c && c.status() == CommitStatus.OK && c.changes() != null) {
            try {
                expired.accept(c.changes().applyTo(null));
            } catch (RuntimeException e) {
                LOG.warn("Expiry listener failed for session {}: {}", key, e.toString());
            }
        }
    }
}
