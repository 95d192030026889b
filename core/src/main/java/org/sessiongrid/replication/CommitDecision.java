package org.sessiongrid.replication;

import java.util.Arrays;

import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;

/**
 * What a primary does with one commit, given the record it holds: answer at once and change nothing
 * ({@link Answer}), or store a new record once the backups took it ({@link Store}). A pure function of
 * the request, the current record and the clock; the {@link Replicator} supplies those under the
 * session's key lock and does the replicating and storing.
 *
 * <p>The rules, by {@link CommitKind}:
 * <ul>
 * <li>Every kind: the new version is {@link SessionRecord#nextVersion} of the current one under the
 * topology, so a primary of a newer topology dominates.</li>
 * <li>{@code CREATE}: refused if any record exists ({@code EXISTS}, or {@code INVALIDATED} over a
 * tombstone), except the same create retried (same op id), which is answered with what it made.</li>
 * <li>{@code UPDATE}: {@code MISSING} / {@code INVALIDATED} when there is no live record; a retry of an
 * applied update (same op id) is answered OK without applying it twice; a lock token that no longer
 * holds the lock is {@code LOCK_LOST}; an update that would overwrite a newer topology's change made after
 * its base is {@code FENCED} (see {@link #overwritten}).</li>
 * <li>{@code INVALIDATE} / {@code EXPIRE}: end the live record (an expiry only once it is due, one
 * access-time slack after its expiry time: {@code NOT_EXPIRED} otherwise); release a lock waiter. An
 * invalidation that names a base the session changed after under a newer topology is {@code FENCED}
 * (see {@link #overwritten}); one without a base (an older member's) ends the session as it always did.</li>
 * <li>{@code CLAIM}: end the live record as an unannounced expiry naming the claim; the same claim
 * retried stands.</li>
 * <li>{@code ANNOUNCE}: turn an unannounced expiry into an announced one; anything else was announced
 * already ({@code INVALIDATED}: nothing to call); the same announcement retried (same op id) is OK.</li>
 * <li>{@code LOCK} / {@code UNLOCK}: take or release the lock for the token; the caller decides first
 * whether another live holder makes a lock wait.</li>
 * </ul>
 */
public sealed interface CommitDecision {

    /** Answer {@code reply}; nothing is stored or replicated. */
    record Answer(CommitReply reply) implements CommitDecision {
    }

    /**
     * Replicate and store {@code next}; once stored, answer {@link #reply()}.
     *
     * @param releasesLock the change ends the session or its lock: lock waiters on the key re-check
     * @param forSender    the changes the sender's copy needs besides its own delta (null: none)
     */
    record Store(SessionRecord next, boolean releasesLock, RecordChanges forSender) implements CommitDecision {

        /** The answer once {@link #next} is stored. */
        public CommitReply reply() {
            return new CommitReply(CommitStatus.OK, next.version(), forSender);
        }
    }

    /**
     * The decision on {@code req} at a primary of topology {@code topologyId} holding {@code old}.
     *
     * @param old               the record held now (null: none)
     * @param nowMillis         the time an end is stamped with and expiry is judged at
     * @param expirySlackMillis how late access times may reach the primary: an expiry waits that much
     *                          longer
     */
    static CommitDecision decide(CommitRequest req, SessionRecord old, long topologyId, long nowMillis,
                                 long expirySlackMillis) {
        long version = SessionRecord.nextVersion(old == null ? 0 : old.version(), topologyId);
        return switch (req.kind()) {
            case CREATE -> {
                if (old != null && !old.isTombstone() && req.opId() != 0 && old.meta().lastOpId() == req.opId()) {
                    // This very create, applied before a failover and retried: the record it made.
                    yield answer(CommitStatus.OK, old.version(), RecordChanges.whole(old));
                }
                if (old != null) {
                    yield answer(old.isTombstone() ? CommitStatus.INVALIDATED : CommitStatus.EXISTS, old.version(), null);
                }
                yield new Store(SessionRecord.create(req.key(), version, req.delta(), req.opId()), false, null);
            }
            case UPDATE -> {
                if (gone(old)) {
                    yield goneAnswer(old);
                }
                if (req.opId() != 0 && old.meta().lastOpId() == req.opId()) {
                    // A retry of a commit that was applied before a failover: do not apply it twice.
                    yield answer(CommitStatus.OK, old.version(), old.changesSince(req.baseVersion()));
                }
                if (req.lockToken() != null && !req.lockToken().equals(old.meta().lockOwner())) {
                    yield answer(CommitStatus.LOCK_LOST, old.version(), null);
                }
                if (overwritten(req, old) != null) {
                    yield answer(CommitStatus.FENCED, old.version(), null);
                }
                SessionRecord next = old.apply(req.delta(), version, req.opId());
                yield new Store(next, false, req.baseVersion() != old.version() ? next.changesSince(req.baseVersion())
                        : null);
            }
            case INVALIDATE -> {
                if (gone(old)) {
                    yield goneAnswer(old);
                }
                if (overwritten(req, old) != null) {
                    yield answer(CommitStatus.FENCED, old.version(), null);
                }
                yield new Store(old.tombstone(version, nowMillis, req.tombstoneSeconds()), true, null);
            }
            case EXPIRE -> {
                if (gone(old)) {
                    yield goneAnswer(old);
                }
                // Access times reach the primary up to one granularity late: wait that much longer, so
                // that a session used through another member is never expired early.
                if (old.meta().expiryTime() > nowMillis - expirySlackMillis) {
                    yield answer(CommitStatus.NOT_EXPIRED, old.version(), null);
                }
                yield new Store(old.expiredTombstone(version, nowMillis, req.tombstoneSeconds()), true,
                        RecordChanges.whole(old));
            }
            case CLAIM -> {
                if (old != null && old.claimToken() != null && old.claimToken().equals(req.lockToken())) {
                    // This very claim, applied before a failover and retried: it stands, its claimant
                    // still owes the call.
                    yield answer(CommitStatus.OK, old.version(), RecordChanges.whole(old));
                }
                if (gone(old)) {
                    yield goneAnswer(old);
                }
                yield new Store(old.claimedTombstone(version, nowMillis, req.tombstoneSeconds(), req.lockToken()), true,
                        RecordChanges.whole(old));
            }
            case ANNOUNCE -> {
                if (old != null && req.opId() != 0 && old.isTombstone() && old.meta().lastOpId() == req.opId()) {
                    // This very announcement, recorded before a failover and retried: its caller still calls.
                    yield answer(CommitStatus.OK, old.version(), null);
                }
                if (old == null || !old.isUnannouncedExpiry()) {
                    // Announced already (by another primary or the claimant): nothing to call.
                    yield answer(CommitStatus.INVALIDATED, old == null ? 0 : old.version(), null);
                }
                yield new Store(old.announced(version, req.opId()), false, RecordChanges.whole(old));
            }
            case LOCK -> {
                if (gone(old)) {
                    yield goneAnswer(old);
                }
                if (req.lockToken().equals(old.meta().lockOwner())) {
                    yield answer(CommitStatus.OK, old.version(), null);
                }
                yield new Store(old.withMeta(old.meta().withLock(req.lockToken(), old.meta().lastOpId()), version), false,
                        null);
            }
            case UNLOCK -> {
                if (old == null || old.isTombstone() || !req.lockToken().equals(old.meta().lockOwner())) {
                    yield answer(CommitStatus.OK, old == null ? 0 : old.version(), null);
                }
                yield new Store(old.withMeta(old.meta().withLock(null, old.meta().lastOpId()), version), true, null);
            }
        };
    }

    /**
     * What a commit made on its request's base would undo of what the cluster stored after that base under
     * a newer topology than the base's own, or null: the request read the session before a failover it did
     * not take part in (its member was paused or cut off), and the commit would write over, or end, what
     * the cluster acknowledged to the user since (a zombie write). Within one topology nothing is ever
     * refused, and a commit without a base (0: an older member's invalidation) never is.
     * <ul>
     * <li>{@code UPDATE}: an attribute it sets or removes (see {@link #overwrittenAttribute}), or metadata
     * it changes to another value than the record holds (the timeout, the container's data): the record
     * does not date its metadata, so any change of the session under the newer topology counts, and a
     * value the record already holds overwrites nothing.</li>
     * <li>{@code INVALIDATE}: any change of the session under the newer topology: the user went on using
     * it elsewhere, and a logout or login (an id rotation ends the old id) that started before the
     * failover would end it under them.</li>
     * </ul>
     */
    static Overwritten overwritten(CommitRequest req, SessionRecord current) {
        long base = req.baseVersion();
        if (!changedUnderNewerTopology(current.version(), base)) {
            return null;
        }
        return switch (req.kind()) {
            case UPDATE -> {
                String name = overwrittenAttribute(req, current);
                if (name != null) {
                    Attribute a = current.attributes().get(name);
                    yield a == null ? new Overwritten("it sets attribute '" + name + "', removed", current.version())
                            : new Overwritten("attribute '" + name + "' changed", a.version());
                }
                String meta = overwrittenMetadata(req.delta(), current);
                yield meta == null ? null : new Overwritten("it changes " + meta + " of a session changed",
                        current.version());
            }
            case INVALIDATE -> new Overwritten("it ends a session changed", current.version());
            default -> null;
        };
    }

    /**
     * What a commit would overwrite: {@link #reason()} reads "... at version {@link #changedAt()}".
     *
     * @param reason    what the commit does to what changed, e.g. {@code attribute 'cart' changed}
     * @param changedAt the version of that change (the record's, for what the record does not date)
     */
    record Overwritten(String reason, long changedAt) {
    }

    /** The metadata {@code delta} sets to another value than {@code current} holds, or null. */
    private static String overwrittenMetadata(SessionDelta delta, SessionRecord current) {
        if (delta.maxInactiveInterval() != SessionDelta.UNCHANGED
                && delta.maxInactiveInterval() != current.meta().maxInactiveInterval()) {
            return "maxInactiveInterval";
        }
        if (delta.containerDataChanged() && !Arrays.equals(delta.containerData(), current.meta().containerData())) {
            return "the container's data";
        }
        return null;
    }

    /**
     * The attribute an update would overwrite although it changed after the update's base under a newer
     * topology than the base's own (or null): the update's request read the session before a failover it
     * did not take part in, and what it writes was computed from a value the cluster has replaced and
     * acknowledged since. That is the write of a member that was paused or cut off while its request ran
     * (a zombie write), and it is refused rather than merged.
     *
     * <p>Within one topology, concurrent updates of an attribute keep the last writer, as they always did:
     * they are ordinary concurrent requests of one user. A base older than the current record's topology
     * is the mark of a request that straddled a topology change; among those, only the ones that would
     * replace or remove a newer topology's value, or set an attribute the record no longer has (a removal
     * the primary cannot date), are refused. A request that reads and commits in sequence never is: its
     * base is the current record.
     */
    static String overwrittenAttribute(CommitRequest req, SessionRecord current) {
        long base = req.baseVersion();
        if (!changedUnderNewerTopology(current.version(), base)) {
            return null;
        }
        for (String name : req.delta().set().keySet()) {
            Attribute a = current.attributes().get(name);
            if (a == null || changedUnderNewerTopology(a, base)) {
                return name;
            }
        }
        for (String name : req.delta().removed()) {
            Attribute a = current.attributes().get(name);
            if (a != null && changedUnderNewerTopology(a, base)) {
                return name;
            }
        }
        return null;
    }

    private static boolean changedUnderNewerTopology(Attribute a, long baseVersion) {
        return changedUnderNewerTopology(a.version(), baseVersion);
    }

    /** True if {@code version} was made after the base, under a newer topology than the base's (0: no base). */
    private static boolean changedUnderNewerTopology(long version, long baseVersion) {
        return baseVersion > 0 && version > baseVersion && topologyOf(version) > topologyOf(baseVersion);
    }

    /** The topology a version was made under (see {@link SessionRecord#nextVersion}). */
    static long topologyOf(long version) {
        return version >>> 32;
    }

    /** True if the kinds that need a live record find none. */
    private static boolean gone(SessionRecord old) {
        return old == null || old.isTombstone();
    }

    private static Answer goneAnswer(SessionRecord old) {
        return old == null ? answer(CommitStatus.MISSING, 0, null) : answer(CommitStatus.INVALIDATED, old.version(), null);
    }

    private static Answer answer(CommitStatus status, long version, RecordChanges changes) {
        return new Answer(new CommitReply(status, version, changes));
    }
}
