package org.sessiongrid.session;

import java.util.Arrays;

/**
 * Session metadata that travels whole with every change (it is small): times, timeout, validity and
 * an opaque blob the container adapter may use for what its container replicates besides attributes
 * (for Tomcat: the authenticated principal and auth type).
 *
 * @param creationTime        epoch millis when the session was created
 * @param lastAccessedTime    epoch millis of the last request that used the session
 * @param maxInactiveInterval seconds of inactivity after which the session expires; {@code <= 0}
 *                            means never
 * @param valid               false for a tombstone: the session was invalidated and must not come back
 * @param containerData       adapter-defined bytes, or {@code null}
 * @param lockOwner           token of the request holding the session's cluster-wide lock, or null;
 *                            kept in the record so that a promoted primary knows the lock too. In an
 *                            unannounced expiry tombstone (which holds no lock): the token of the
 *                            container claim that owes the listener calls, or null
 *                            (see {@link SessionRecord#claimedTombstone})
 * @param lastOpId            id of the last commit applied, so that a commit retried after a failover
 *                            is recognised and not applied twice
 */
public record SessionMeta(long creationTime, long lastAccessedTime, int maxInactiveInterval, boolean valid,
                          byte[] containerData, String lockOwner, long lastOpId) {

    /** Metadata of a live session without lock or commit history. */
    public SessionMeta(long creationTime, long lastAccessedTime, int maxInactiveInterval, boolean valid,
                       byte[] containerData) {
        this(creationTime, lastAccessedTime, maxInactiveInterval, valid, containerData, null, 0);
    }

    /** Epoch millis at which this session expires if not accessed again, or {@link Long#MAX_VALUE}. */
    public long expiryTime() {
        return maxInactiveInterval <= 0 ? Long.MAX_VALUE : lastAccessedTime + maxInactiveInterval * 1000L;
    }

    public SessionMeta withLastAccessedTime(long t) {
        return new SessionMeta(creationTime, t, maxInactiveInterval, valid, containerData, lockOwner, lastOpId);
    }

    public SessionMeta withLock(String owner, long opId) {
        return new SessionMeta(creationTime, lastAccessedTime, maxInactiveInterval, valid, containerData, owner, opId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionMeta m && m.creationTime == creationTime && m.lastAccessedTime == lastAccessedTime
                && m.maxInactiveInterval == maxInactiveInterval && m.valid == valid
                && Arrays.equals(m.containerData, containerData) && java.util.Objects.equals(m.lockOwner, lockOwner)
                && m.lastOpId == lastOpId;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(creationTime) * 31 + Long.hashCode(lastAccessedTime) * 17 + maxInactiveInterval
                + (valid ? 1 : 0) + Arrays.hashCode(containerData);
    }

    @Override
    public String toString() {
        return "SessionMeta[created=" + creationTime + ", accessed=" + lastAccessedTime + ", maxInactive="
                + maxInactiveInterval + "s, valid=" + valid + (lockOwner == null ? "" : ", locked by " + lockOwner) + "]";
    }
}
