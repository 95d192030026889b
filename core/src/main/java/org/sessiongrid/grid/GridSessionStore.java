package org.sessiongrid.grid;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import org.sessiongrid.expiry.Expirer;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.SegmentHash;
import org.sessiongrid.session.LockTokens;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.ReadReply;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link SessionStore} of one namespace over a {@link GridNode}. */
final class GridSessionStore implements SessionStore {

    private static final Logger LOG = LoggerFactory.getLogger(GridSessionStore.class);

    private final GridNode node;
    private final String namespace;

    GridSessionStore(GridNode node, String namespace) {
        this.node = node;
        this.namespace = Objects.requireNonNull(namespace, "namespace");
    }

    @Override
    public String namespace() {
        return namespace;
    }

    /**
     * Refuses, before anything is sent, values the members would drop as oversized: the caller gets
     * the reason and the setting at once instead of a timeout.
     */
    private void checkSizes(SessionKey key, SessionDelta delta) {
        int max = node.config().maxRecordBytes();
        delta.set().forEach((name, value) -> {
            if (value.length > max) {
                throw new IllegalArgumentException("attribute '" + name + "' of session " + key + " is " + value.length
                        + " bytes serialized, over maxRecordBytes=" + max + "; store less in the session or raise"
                        + " maxRecordBytes on every node");
            }
            if (name.length() > MAX_NAME_CHARS) {
                throw new IllegalArgumentException("attribute name of session " + key + " is " + name.length()
                        + " characters long, over " + MAX_NAME_CHARS + ": " + name.substring(0, 40) + "...");
            }
        });
        if (delta.containerDataChanged() && delta.containerData() != null && delta.containerData().length > max) {
            throw new IllegalArgumentException("container data of session " + key + " is " + delta.containerData().length
                    + " bytes, over maxRecordBytes=" + max);
        }
    }

    /** Attribute names are identifiers, not data; this keeps them far below the wire's string limit. */
    private static final int MAX_NAME_CHARS = 4_096;

    private SessionKey key(String id) {
        return new SessionKey(namespace, SegmentHash.stripRoute(id));
    }

    @Override
    public SessionRecord create(String id, SessionDelta initial) {
        // An op id, so that a create applied at the backups just before its primary failed, and retried at
        // the promoted one, is recognised as this create rather than refused as an existing session.
        return create(id, initial, ThreadLocalRandom.current().nextLong() | 1);
    }

    @Override
    public SessionRecord create(String id, SessionDelta initial, long opId) {
        if (opId == 0) {
            throw new IllegalArgumentException("opId 0 means \"no op id\": pass a non-zero value");
        }
        SessionKey key = key(id);
        long now = System.currentTimeMillis();
        // Creation and access times are fixed here, so that the record this node builds from the
        // delta is identical to the one the primary built.
        SessionDelta.Builder b = SessionDelta.builder()
                .creationTime(initial.creationTime() == SessionDelta.UNCHANGED ? now : initial.creationTime())
                .lastAccessedTime(initial.lastAccessedTime() == SessionDelta.UNCHANGED ? now : initial.lastAccessedTime());
        if (initial.maxInactiveInterval() != SessionDelta.UNCHANGED) {
            b.maxInactiveInterval((int) initial.maxInactiveInterval());
        }
        if (initial.containerDataChanged()) {
            b.containerData(initial.containerData());
        }
        initial.set().forEach(b::set);
        SessionDelta delta = b.build();
        checkSizes(key, delta);
        CommitReply reply = node.primaries().call(key,
                tid -> CommitRequest.create(tid, key, delta, opId), CommitReply.class);
        return switch (reply.status()) {
            case OK -> reply.changes() != null ? reply.changes().applyTo(null)
                    : SessionRecord.create(key, reply.version(), delta, opId);
            case EXISTS, INVALIDATED -> throw new SessionExistsException("session id " + key + " is already in use");
            default -> throw new IllegalStateException("create answered " + reply.status() + " for " + key);
        };
    }

    @Override
    public SessionRecord find(String id, SessionRecord known) {
        SessionKey key = key(id);
        int segment = node.records().segmentOf(key);
        if (node.isLocalPrimary(segment)) {
            node.checkServing(key);
            // The fast path: this member orders the session's writes, so its copy is current.
            node.stats().read(false);
            SessionRecord r = node.records().get(key);
            if (r == null || r.isTombstone()) {
                return null;
            }
            return known != null && known.version() == r.version() ? known : r;
        }
        long knownVersion = known == null ? 0 : known.version();
        ReadReply reply = node.primaries().call(key, tid -> new ReadRequest(tid, key, knownVersion), ReadReply.class);
        return switch (reply.status()) {
            case NOT_MODIFIED -> known;
            case CHANGES -> apply(reply.changes(), known);
            case MISSING, INVALIDATED -> null;
        };
    }

    private static SessionRecord apply(RecordChanges changes, SessionRecord known) {
        return changes.applyTo(changes.baseVersion() == 0 ? null : known);
    }

    @Override
    public SessionRecord commit(String id, SessionDelta delta, SessionRecord base) {
        return commit(id, delta, base, null);
    }

    @Override
    public SessionRecord commit(String id, SessionDelta delta, SessionRecord base, SessionLock lock) {
        SessionKey key = key(id);
        checkSizes(key, delta);
        long baseVersion = base == null ? 0 : base.version();
        // One id for this commit across the retries PrimaryClient.call makes, so that a retry after a
        // failover is recognised by the new primary if the old one had already replicated it.
        long opId = ThreadLocalRandom.current().nextLong() | 1;
        String token = lock == null ? null : ((GridSessionLock) lock).token;
        CommitReply reply = node.primaries().call(key,
                tid -> CommitRequest.update(tid, key, baseVersion, delta, opId, token),
                CommitReply.class);
        return switch (reply.status()) {
            case OK -> {
                if (reply.changes() != null || base == null) {
                    yield apply(reply.changes(), base);
                }
                yield base.apply(delta, reply.version(), opId);
            }
            case MISSING -> throw new SessionGoneException("session " + key + " no longer exists", false);
            case INVALIDATED -> throw new SessionGoneException("session " + key + " was invalidated", true);
            case LOCK_LOST -> throw new SessionLockLostException("the lock on session " + key
                    + " was lost (its holder was presumed dead); the change was not applied");
            case FENCED -> throw new SessionFencedException("the changes to session " + key + " were refused: the request"
                    + " read version " + baseVersion + ", before a failover that SessionGrid member " + node.config().nodeName()
                    + " did not see (it was paused or cut off), and the cluster has changed what it writes since;"
                    + " nothing was applied");
            default -> throw new IllegalStateException("update answered " + reply.status() + " for " + key);
        };
    }

    @Override
    public boolean invalidate(String id) {
        return invalidate(id, null);
    }

    @Override
    public boolean invalidate(String id, SessionRecord base) {
        SessionKey key = key(id);
        int ttl = node.config().tombstoneTimeout();
        long baseVersion = base == null ? 0 : base.version();
        CommitReply reply = node.primaries().call(key,
                tid -> CommitRequest.invalidate(tid, key, baseVersion, ttl), CommitReply.class);
        if (reply.status() == GridMessage.CommitStatus.FENCED) {
            throw new SessionFencedException("the invalidation of session " + key + " was refused: the request read"
                    + " version " + baseVersion + ", before a failover that SessionGrid member " + node.config().nodeName()
                    + " did not see (it was paused or cut off), and the cluster has changed the session since;"
                    + " nothing was applied");
        }
        return reply.status() == GridMessage.CommitStatus.OK;
    }

    @Override
    public SessionRecord claimExpiry(String id) {
        SessionKey key = key(id);
        int ttl = node.config().tombstoneTimeout();
        // Names this member (the primary presumes it alive while it is a member) and identifies the claim
        // across the retries PrimaryClient.call makes, so that a claim applied before a failover and retried at
        // the promoted primary is recognised as this one instead of found already ended.
        String token = LockTokens.newToken(node.self().id());
        CommitReply reply = node.primaries().call(key,
                tid -> CommitRequest.claim(tid, key, ttl, token), CommitReply.class);
        return reply.status() == GridMessage.CommitStatus.OK ? reply.changes().applyTo(null) : null;
    }

    @Override
    public boolean announceExpiry(String id) {
        SessionKey key = key(id);
        int ttl = node.config().tombstoneTimeout();
        // One id across retries: an announcement recorded just before its primary failed is answered OK
        // again by the promoted one, instead of being taken for someone else's.
        long opId = ThreadLocalRandom.current().nextLong() | 1;
        Expirer.ANNOUNCEMENTS.debug("announcing {} (claimed here)", key);
        // Longer than a commit's remoteTimeout: a primary waiting for a backup that died (until the view drops
        // it, up to remoteTimeout) honours an announcement another backup took, and answers OK only then; a
        // claimant that gave up before would leave the recorded announcement without its call.
        CommitReply reply = node.primaries().call(key,
                tid -> CommitRequest.announce(tid, key, ttl, opId), CommitReply.class,
                2L * node.config().remoteTimeout());
        return reply.status() == GridMessage.CommitStatus.OK;
    }

    @Override
    public SessionRecord changeId(String oldId, String newId) {
        return changeId(oldId, newId, null);
    }

    @Override
    public SessionRecord changeId(String oldId, String newId, SessionRecord base) {
        SessionRecord old = find(oldId, null);
        if (old == null) {
            throw new SessionGoneException("session " + key(oldId) + " no longer exists", false);
        }
        SessionDelta.Builder b = SessionDelta.builder().creationTime(old.meta().creationTime())
                .lastAccessedTime(old.meta().lastAccessedTime())
                .maxInactiveInterval(old.meta().maxInactiveInterval());
        if (old.meta().containerData() != null) {
            b.containerData(old.meta().containerData());
        }
        old.attributes().forEach((n, a) -> b.set(n, a.value()));
        SessionRecord moved = create(newId, b.build());
        try {
            invalidate(oldId, base);
        } catch (SessionFencedException e) {
            // Nobody was given the new id: it goes, the old one stays the user's.
            try {
                invalidate(newId);
            } catch (RuntimeException notEnded) {
                e.addSuppressed(notEnded);
            }
            throw e;
        }
        return moved;
    }

    @Override
    public String newLocalId(Supplier<String> generator) {
        Topology t = node.topology();
        int members = t == null ? 1 : Math.max(1, t.readTable().members().size());
        // Expected tries = members; allow many more so that an unlucky run still lands here.
        int attempts = 16 * members + 16;
        String id = generator.get();
        for (int i = 0; i < attempts && !isLocalPrimary(id); i++) {
            id = generator.get();
        }
        return id;
    }

    @Override
    public boolean isLocalPrimary(String id) {
        return node.isLocalPrimary(node.records().segmentOf(key(id)));
    }

    @Override
    public void touch(String id, long accessTime) {
        node.accessTimes().touched(key(id), accessTime);
    }

    @Override
    public void setListener(SessionListener listener) {
        node.listeners().set(namespace, listener);
    }

    @Override
    public SessionLock lock(String id, long timeoutMillis) {
        SessionKey key = key(id);
        String token = LockTokens.newToken(node.self().id());
        CommitReply reply;
        try {
            reply = node.primaries().call(key, tid -> CommitRequest.lock(tid, key, token, timeoutMillis), CommitReply.class, timeoutMillis);
        } catch (RuntimeException e) {
            // The lock may have been taken all the same (a primary that failed after its backups stored it): a
            // lock nobody holds would make every later request of the session wait lockTimeout and fail.
            releaseQuietly(key, token);
            throw e;
        }
        return switch (reply.status()) {
            case OK -> new GridSessionLock(key, token);
            case LOCKED -> throw new SessionLockTimeoutException("session " + key + " stayed locked by another request"
                    + " for lockTimeout=" + timeoutMillis + " ms; the request must not proceed without the lock");
            case MISSING -> throw new SessionGoneException("session " + key + " no longer exists", false);
            case INVALIDATED -> throw new SessionGoneException("session " + key + " was invalidated", true);
            default -> throw new IllegalStateException("lock answered " + reply.status() + " for " + key);
        };
    }

    /** A held lock; closing it releases the lock at the session's current primary. */
    private final class GridSessionLock implements SessionLock {
        private final SessionKey key;
        private final String token;
        private boolean released;

        GridSessionLock(SessionKey key, String token) {
            this.key = key;
            this.token = token;
        }

        @Override
        public synchronized void close() {
            if (released) {
                return;
            }
            released = true;
            try {
                unlock(key, token);
            } catch (GridUnavailableException e) {
                // Its primary failed and the failover outlasted remoteTimeout: once more under the topology
                // that follows, or the lock would stay with a holder that is gone, until its member leaves.
                releaseQuietly(key, token);
                throw e;
            }
        }
    }

    private void unlock(SessionKey key, String token) {
        node.primaries().call(key, tid -> CommitRequest.unlock(tid, key, token),
                CommitReply.class);
    }

    /** Releases {@code token}'s lock if it holds one (unlocking a lock not held is a no-op); logs a failure. */
    private void releaseQuietly(SessionKey key, String token) {
        try {
            unlock(key, token);
        } catch (RuntimeException e) {
            LOG.warn("Lock {} on session {} may stay held until its member leaves: releasing it failed: {}", token, key,
                    e.getMessage());
        }
    }

    @Override
    public List<SessionRecord> listSessions() {
        return node.listSessions(namespace, true).getOrDefault(namespace, List.of());
    }

    @Override
    public SessionOwners owners(String id) {
        int segment = node.records().segmentOf(key(id));
        Topology t = node.topology();
        if (t == null) {
            return new SessionOwners(segment, 0, null, List.of());
        }
        List<Member> owners = t.writeOwners(segment);
        List<String> backups = new ArrayList<>();
        for (int i = 1; i < owners.size(); i++) {
            backups.add(owners.get(i).toString());
        }
        return new SessionOwners(segment, t.id(), owners.isEmpty() ? null : owners.get(0).toString(), backups);
    }
}
