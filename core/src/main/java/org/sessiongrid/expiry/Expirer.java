package org.sessiongrid.expiry;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.sessiongrid.placement.Member;
import org.sessiongrid.session.LockTokens;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
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
 *
 * <p>An expiry a container claimed ({@link SessionRecord#claimToken()}) is the claimant's to announce:
 * the primary leaves it alone while the claimant is a member of the current topology and the claim is
 * younger than the lease, and announces it (calling the listeners here) once the claimant left the
 * topology (killed, expelled) or the lease ran out. The claim and every announcement go through the
 * primary's commit path, so whoever announces first calls and the other does not: an expired lease
 * moves the call to the primary's member, it never doubles it.
 *
 * <p>An expiry is announced only where its namespace's listener can take the call ({@code announceable}):
 * a member without the webapp running (not started yet, stopping, not deployed here) expires the session
 * but leaves the announcement to a later pass or another primary. A pass runs under {@link #awaitPass}'s
 * lock, so that an adapter removing its listener can wait for a call in flight to finish first.
 */
public final class Expirer {

    private static final Logger LOG = LoggerFactory.getLogger(Expirer.class);

    /**
     * One DEBUG line per expiry this member is about to announce, written right before it asks for the
     * announcement to be recorded (the listener call follows once it is): the trace an operator (or the
     * fault matrix) uses to tell a call lost with a member that died in between (the documented window)
     * from one never made. A member that lives on either makes the call or, if the announcement failed,
     * leaves the expiry unannounced for a later pass.
     */
    public static final Logger ANNOUNCEMENTS = LoggerFactory.getLogger("org.sessiongrid.expiry.announcements");
    private static final int BATCH = 5_000;

    private final RecordStore records;
    private final Supplier<Member> self;
    private final Supplier<Topology> topology;
    private final Function<CommitRequest, GridMessage> localCommit;
    private final Consumer<SessionRecord> expired;
    private final long graceMillis;
    private final long slackMillis;
    private final BooleanSupplier stopped;
    private final int tombstoneSeconds;
    private final long claimLeaseMillis;
    private final long[] primarySince;

    private final Predicate<String> mutedNamespace;
    private final Predicate<String> announceable;
    private final ReentrantLock pass = new ReentrantLock();

    private Expirer(Builder b) {
        this.self = Objects.requireNonNull(b.self, "self");
        this.topology = Objects.requireNonNull(b.topology, "topology");
        this.records = Objects.requireNonNull(b.records, "records");
        this.localCommit = Objects.requireNonNull(b.localCommit, "localCommit");
        this.stopped = b.stopped;
        this.expired = b.expired;
        this.mutedNamespace = b.mutedNamespace;
        this.announceable = b.announceable;
        this.graceMillis = b.graceMillis;
        this.slackMillis = b.slackMillis;
        this.tombstoneSeconds = b.tombstoneSeconds;
        this.claimLeaseMillis = b.claimLeaseMillis;
        this.primarySince = new long[records.numSegments()];
    }

    /**
     * Starts an expirer of the records in {@code records} whose segment {@code self} is primary of under
     * {@code topology}, committing expiries and announcements through {@code localCommit} (this member's
     * own commit path as primary). Every setting not given keeps its default (see {@link Builder}).
     */
    public static Builder builder(Supplier<Member> self, Supplier<Topology> topology, RecordStore records,
                                  Function<CommitRequest, GridMessage> localCommit) {
        return new Builder(self, topology, records, localCommit);
    }

    /** The settings and hooks of an {@link Expirer}, by name. Not thread-safe; build once. */
    public static final class Builder {
        private final Supplier<Member> self;
        private final Supplier<Topology> topology;
        private final RecordStore records;
        private final Function<CommitRequest, GridMessage> localCommit;
        private BooleanSupplier stopped = () -> false;
        private Consumer<SessionRecord> expired = r -> { };
        private Predicate<String> mutedNamespace = ns -> false;
        private Predicate<String> announceable = ns -> true;
        private long graceMillis;
        private long slackMillis;
        private int tombstoneSeconds = 600;
        private long claimLeaseMillis;

        private Builder(Supplier<Member> self, Supplier<Topology> topology, RecordStore records,
                        Function<CommitRequest, GridMessage> localCommit) {
            this.self = self;
            this.topology = topology;
            this.records = records;
            this.localCommit = localCommit;
        }

        /**
         * True while this member must not expire anything: stopped, or on the refusing side of a
         * partition (the majority expires; a minority that also did would fire the listeners twice).
         * Default: never.
         */
        public Builder stoppedWhen(BooleanSupplier stopped) {
            this.stopped = Objects.requireNonNull(stopped);
            return this;
        }

        /** Called with the expired record, once per expiry in the cluster (default: nothing). */
        public Builder onExpired(Consumer<SessionRecord> expired) {
            this.expired = Objects.requireNonNull(expired);
            return this;
        }

        /** Namespaces not expired here at all: their webapp stopped on this member (default: none). */
        public Builder mutedWhen(Predicate<String> mutedNamespace) {
            this.mutedNamespace = Objects.requireNonNull(mutedNamespace);
            return this;
        }

        /** Namespaces whose listener here can take an expiry call now (default: all). */
        public Builder announceableWhen(Predicate<String> announceable) {
            this.announceable = Objects.requireNonNull(announceable);
            return this;
        }

        /** How long a new primary leaves what it inherited alone (default 0). */
        public Builder graceMillis(long millis) {
            this.graceMillis = millis;
            return this;
        }

        /** How late access times may arrive: a session is due one slack after its expiry time (default 0). */
        public Builder slackMillis(long millis) {
            this.slackMillis = millis;
            return this;
        }

        /** How long an expiry's tombstone is kept (default 600 s, as the setting {@code tombstoneTimeout}). */
        public Builder tombstoneSeconds(int seconds) {
            this.tombstoneSeconds = seconds;
            return this;
        }

        /**
         * How long a container's claimed expiry stays its claimant's to announce while the claimant is
         * still a member (see the class description; default 0).
         */
        public Builder claimLeaseMillis(long millis) {
            this.claimLeaseMillis = millis;
            return this;
        }

        public Expirer build() {
            return new Expirer(this);
        }
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

    /**
     * Waits, at most {@code timeoutMillis}, for the pass in progress (if any) to finish; a pass started
     * later sees what the caller changed before. True if no pass was running at the end.
     */
    public boolean awaitPass(long timeoutMillis) {
        try {
            if (pass.tryLock(timeoutMillis, TimeUnit.MILLISECONDS)) {
                pass.unlock();
                return true;
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** One pass: expires and announces what is due. Returns the number of sessions expired. */
    public int run() {
        pass.lock();
        try {
            return runPass();
        } finally {
            pass.unlock();
        }
    }

    private int runPass() {
        long now = System.currentTimeMillis();
        Topology t = topology.get();
        if (t == null) {
            return 0;
        }
        Member me = self.get();
        Set<String> memberIds = new HashSet<>();
        t.members().forEach(m -> memberIds.add(m.id()));
        int count = 0;
        // Sessions are due one slack after their expiry time (access times may be that late); the
        // primary re-checks under its commit path anyway.
        // Muted namespaces (their webapp stopped here) and claims still held are passed over, so they
        // cannot fill every batch (a scavenger may claim thousands at once).
        // Unannounced expiries nobody here can be told of are passed over too, until their tombstone's time
        // is up (then they are forgotten below).
        List<SessionKey> due = records.due(now - slackMillis, BATCH, k -> {
            if (mutedNamespace.test(k.namespace())) {
                return false;
            }
            SessionRecord r = records.get(k);
            if (r != null && r.isUnannouncedExpiry() && now < r.meta().expiryTime()
                    && !announceable.test(k.namespace())) {
                return false;
            }
            return !claimHeld(r, memberIds, now);
        });
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
            if (r.isUnannouncedExpiry() && now >= r.meta().expiryTime() && !announceable.test(key.namespace())) {
                // No member that was its primary could tell a container for the tombstone's whole lifetime
                // (the webapp is not deployed, or not running, where the segment's primaries were).
                LOG.warn("Session {} expired {} s ago and was never announced: no primary had its webapp running;"
                        + " its sessionDestroyed listeners are not called", key, (now - r.meta().lastAccessedTime()) / 1000);
                records.remove(key, r);
                continue;
            }
            if (r.isUnannouncedExpiry()) {
                // Expired but not announced: the primary that expired it failed or died before it told
                // the container, or a container claimed it and has not announced it yet. The primary now
                // announces it (after its grace period, in case the previous primary is still about to;
                // and not while the claimant may still be about to).
                if (primary && !inGrace(segment, now) && !claimHeld(r, memberIds, now)
                        && announceable.test(key.namespace())) {
                    if (r.claimToken() != null) {
                        LOG.info("Announcing expiry of session {} claimed by member {} {} ms ago ({}); its listeners"
                                + " run here", key, LockTokens.memberId(r.claimToken()),
                                now - r.meta().lastAccessedTime(), memberIds.contains(LockTokens.memberId(
                                        r.claimToken())) ? "lease ran out" : "claimant left the topology");
                    }
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
            GridMessage reply = localCommit.apply(CommitRequest.expire(t.id(), key, tombstoneSeconds));
            if (reply instanceof CommitReply c && c.status() == CommitStatus.OK) {
                count++;
                // Asked again right before: the webapp may have begun stopping since the batch was chosen.
                if (announceable.test(key.namespace())) {
                    announce(t, key);
                }
            }
        }
        return count;
    }

    /**
     * True if {@code r} is an expiry a container claimed whose claimant is still a member and whose
     * lease (counted from the claim, the tombstone's access time) has not run out: the claimant is
     * then presumably still about to announce it and call the listeners itself.
     */
    private boolean claimHeld(SessionRecord r, Set<String> memberIds, long now) {
        String token = r == null ? null : r.claimToken();
        return token != null && memberIds.contains(LockTokens.memberId(token))
                && now - r.meta().lastAccessedTime() < claimLeaseMillis;
    }

    /**
     * Records at the owners that the expiry is announced, and only if this member made that change,
     * calls the listeners: whichever primary wins the change calls them, so a primary change between
     * expiring and announcing (a rebalance) cannot call them twice. A primary that dies between its
     * change and the call leaves the session without its call.
     */
    private void announce(Topology t, SessionKey key) {
        ANNOUNCEMENTS.debug("announcing {}", key);
        GridMessage reply = localCommit.apply(CommitRequest.announce(t.id(), key, tombstoneSeconds, 0));
        if (reply instanceof CommitReply c && c.status() == CommitStatus.OK && c.changes() != null) {
            try {
                expired.accept(c.changes().applyTo(null));
            } catch (RuntimeException e) {
                LOG.warn("Expiry listener failed for session {}: {}", key, e.toString());
            }
        }
    }
}
