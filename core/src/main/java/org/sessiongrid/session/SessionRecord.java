package org.sessiongrid.session;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One session as the grid holds it: key, version, metadata and serialized attributes. Immutable: a
 * change produces a new record, so readers never see a half-applied write and a record can be handed
 * to another thread or the wire without copying.
 *
 * <p>Versions only grow. Only a segment's primary makes a new version, and it makes it at least
 * {@code topologyId << 32}: a primary of a newer topology always wins over anything an older
 * primary wrote, which is what lets a backup recognise and replace a write that was never
 * acknowledged (see {@link #nextVersion(long, long)}).
 */
public final class SessionRecord {

    private final SessionKey key;
    private final long version;
    private final SessionMeta meta;
    private final Attributes attributes;

    /**
     * A record of {@code attributes}, which it copies into {@link Attributes} (and takes as they are if
     * they are {@code Attributes} already).
     */
    public SessionRecord(SessionKey key, long version, SessionMeta meta, Map<String, Attribute> attributes) {
        this.key = Objects.requireNonNull(key, "key");
        this.version = version;
        this.meta = Objects.requireNonNull(meta, "meta");
        this.attributes = Attributes.copyOf(attributes);
        if (version <= 0) {
            throw new IllegalArgumentException("record version must be positive: " + version);
        }
    }

    /**
     * The version a primary assigns to the next change: one more than the current, but at least the
     * first version of its topology, so that versions made under a newer topology dominate.
     */
    public static long nextVersion(long current, long topologyId) {
        return Math.max(current + 1, topologyId << 32);
    }

    /** A new record for a created session. */
    public static SessionRecord create(SessionKey key, long version, SessionDelta delta) {
        return create(key, version, delta, 0);
    }

    /**
     * A new session at {@code version} made of {@code delta}, remembering {@code opId} (the create's
     * id, so that a create retried after a failover is recognised as the same one).
     */
    public static SessionRecord create(SessionKey key, long version, SessionDelta delta, long opId) {
        long created = delta.creationTime() == SessionDelta.UNCHANGED ? System.currentTimeMillis() : delta.creationTime();
        long accessed = delta.lastAccessedTime() == SessionDelta.UNCHANGED ? created : delta.lastAccessedTime();
        int maxInactive = delta.maxInactiveInterval() == SessionDelta.UNCHANGED ? 0 : (int) delta.maxInactiveInterval();
        SessionMeta meta = new SessionMeta(created, accessed, maxInactive, true,
                delta.containerDataChanged() ? delta.containerData() : null, null, opId);
        return new SessionRecord(key, version, meta, Attributes.empty().with(delta.set(), List.of(), version));
    }

    /** This record with {@code delta} merged in, at {@code newVersion}. */
    public SessionRecord apply(SessionDelta delta, long newVersion) {
        return apply(delta, newVersion, meta.lastOpId());
    }

    /** This record with {@code delta} merged in, at {@code newVersion}, remembering commit {@code opId}. */
    public SessionRecord apply(SessionDelta delta, long newVersion, long opId) {
        SessionMeta m = meta;
        long accessed = delta.lastAccessedTime() == SessionDelta.UNCHANGED ? m.lastAccessedTime()
                : Math.max(m.lastAccessedTime(), delta.lastAccessedTime());
        int maxInactive = delta.maxInactiveInterval() == SessionDelta.UNCHANGED ? m.maxInactiveInterval()
                : (int) delta.maxInactiveInterval();
        byte[] cd = delta.containerDataChanged() ? delta.containerData() : m.containerData();
        SessionMeta nm = new SessionMeta(m.creationTime(), accessed, maxInactive, m.valid(), cd, m.lockOwner(), opId);
        return new SessionRecord(key, newVersion, nm, attributes.with(delta.set(), delta.removed(), newVersion));
    }

    /** This record with other metadata (lock owner, access time) at {@code newVersion}; attributes unchanged. */
    public SessionRecord withMeta(SessionMeta newMeta, long newVersion) {
        return new SessionRecord(key, newVersion, newMeta, attributes);
    }

    /**
     * The tombstone that replaces this record when it is invalidated: no attributes, not valid, and
     * kept until {@code now + ttlSeconds} so that a late write cannot bring the session back.
     */
    public SessionRecord tombstone(long newVersion, long now, int ttlSeconds) {
        SessionMeta t = new SessionMeta(meta.creationTime(), now, Math.max(1, ttlSeconds), false, null);
        return new SessionRecord(key, newVersion, t, Attributes.empty());
    }

    /**
     * Marks, in {@link SessionMeta#lastOpId()}, a tombstone left by expiry whose listeners have not been
     * called yet. Commit ids are odd, so this even value is never one.
     */
    public static final long UNANNOUNCED = Long.MIN_VALUE;

    /**
     * The tombstone an expiry leaves before the container is told: not valid, attributes still there
     * (the listeners need them), marked {@link #UNANNOUNCED}. Whichever member is primary when it is seen
     * announces it, so an expiry is announced even if the primary that made it died at the wrong moment.
     */
    public SessionRecord expiredTombstone(long newVersion, long now, int ttlSeconds) {
        return claimedTombstone(newVersion, now, ttlSeconds, null);
    }

    /**
     * The tombstone a container's claim leaves: an {@link #expiredTombstone} whose
     * {@link SessionMeta#lockOwner()} holds the claim's token (the claiming member's id and a random
     * part, as a lock token), because that member's container now owes the listener calls. A tombstone
     * holds no lock, so the field is free, and it already travels with every copy (replication, segment
     * transfer, merge). {@code now} is the claim time, from which the claim's lease counts.
     *
     * @param claimToken the claim's token, or null for the grid's own expiry (nobody claimed it)
     */
    public SessionRecord claimedTombstone(long newVersion, long now, int ttlSeconds, String claimToken) {
        SessionMeta t = new SessionMeta(meta.creationTime(), now, Math.max(1, ttlSeconds), false, meta.containerData(),
                claimToken, UNANNOUNCED);
        return new SessionRecord(key, newVersion, t, attributes);
    }

    /** True for an expiry tombstone whose listeners have not been called yet. */
    public boolean isUnannouncedExpiry() {
        return isTombstone() && meta.lastOpId() == UNANNOUNCED;
    }

    /**
     * True for a tombstone whose session's end was told to a container: an invalidation, or an announced
     * expiry. Nothing may replace it by another ending (that would call the listeners again) or by a live
     * copy (that would bring the session back).
     */
    public boolean isEnded() {
        return isTombstone() && meta.lastOpId() != UNANNOUNCED;
    }

    /**
     * The token of the container claim that made this unannounced expiry tombstone, or null: not a
     * tombstone waiting for its announcement, or expired by the grid itself.
     */
    public String claimToken() {
        return isUnannouncedExpiry() ? meta.lockOwner() : null;
    }

    /** The plain tombstone an announced expiry becomes: no attributes, same lifetime. */
    public SessionRecord announced(long newVersion) {
        return announced(newVersion, 0);
    }

    /**
     * As {@link #announced(long)}, remembering the announcement's {@code opId} (non-zero: a container's
     * announcement, so that the same one retried after a failover is recognised as already made by its
     * caller, who then still makes the call).
     */
    public SessionRecord announced(long newVersion, long opId) {
        SessionMeta t = new SessionMeta(meta.creationTime(), meta.lastAccessedTime(), meta.maxInactiveInterval(), false,
                null, null, opId);
        return new SessionRecord(key, newVersion, t, Attributes.empty());
    }

    /** The changes a holder of {@code knownVersion} needs to reach this record. */
    public RecordChanges changesSince(long knownVersion) {
        if (knownVersion <= 0 || knownVersion > version) {
            return RecordChanges.whole(this);
        }
        return new RecordChanges(key, knownVersion, version, meta, attributes.changedAfter(knownVersion),
                attributes.names());
    }

    public SessionKey key() {
        return key;
    }

    public long version() {
        return version;
    }

    public SessionMeta meta() {
        return meta;
    }

    /** Attributes by name, sorted. */
    public Attributes attributes() {
        return attributes;
    }

    /** Shortcut for the serialized value of one attribute, or null. */
    public byte[] attribute(String name) {
        int i = attributes.indexOf(name);
        return i < 0 ? null : attributes.attribute(i).value();
    }

    public boolean isTombstone() {
        return !meta.valid();
    }

    /** Approximate bytes this record holds, for limits and statistics. */
    public long sizeBytes() {
        long n = 64 + key.id().length() + key.namespace().length();
        if (meta.containerData() != null) {
            n += meta.containerData().length;
        }
        for (int i = 0; i < attributes.size(); i++) {
            n += attributes.name(i).length() + attributes.attribute(i).value().length + 16;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionRecord r && r.version == version && r.key.equals(key) && r.meta.equals(meta)
                && r.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "SessionRecord[" + key + " v" + version + (isTombstone() ? " tombstone" : "") + " attrs="
                + attributes.names() + "]";
    }
}
