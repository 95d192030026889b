package org.sessiongrid.grid;

import java.util.function.Supplier;

import org.sessiongrid.placement.SegmentHash;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * The sessions of one webapp namespace (host + context path) in the grid. This is what a container
 * adapter calls; it keeps its own in-process session objects and hands the store the last record it
 * saw, so that the store sends and fetches only what changed.
 *
 * <p>Session ids may carry a route suffix ({@code id.route}); the store strips it, so the suffix can
 * change (after failover) without the session changing.
 *
 * <p>Thread-safe. Every method may block for up to the grid's {@code remoteTimeout} while it waits
 * for a remote primary or a failover, and throws {@link GridUnavailableException} after that.
 */
public interface SessionStore {

    /** The namespace, e.g. {@code localhost/shop}. */
    String namespace();

    /**
     * The id the grid knows a session by: {@code id} without its route suffix (everything from the first
     * {@code '.'}), so {@code abc.node1} and {@code abc.node2} name one session.
     *
     * @param id a session id as the container presents it
     * @return the id without route; the same string when it has none
     */
    static String keyOf(String id) {
        return SegmentHash.stripRoute(id);
    }

    /**
     * Stores a new session. {@code initial} should carry the creation time, timeout and first
     * attributes.
     *
     * @return the stored record
     * @throws SessionExistsException if the id is taken (or was recently invalidated): mint another
     */
    SessionRecord create(String id, SessionDelta initial);

    /**
     * As {@link #create(String, SessionDelta)}, under a caller-chosen op id (non-zero). An adapter that
     * retries a create whose outcome it does not know (the grid answered {@link GridUnavailableException}
     * while its primary failed) passes the same op id again: if the first attempt was stored, the retry
     * returns that record instead of throwing {@link SessionExistsException}, which stays the answer for a
     * session someone else created under the id.
     */
    SessionRecord create(String id, SessionDelta initial, long opId);

    /**
     * The current record of a session, or null if it does not exist or was invalidated.
     *
     * @param known the record this node already holds (null: none); returned as is when still current,
     *              so a caller can tell "unchanged" by identity
     */
    SessionRecord find(String id, SessionRecord known);

    /**
     * Applies the changes of one request and returns the resulting record: {@code base} with this
     * request's and every concurrent request's changes merged at attribute level.
     *
     * @param base the record the changes were made on (null if the caller has none): the one the request
     *             read, not a newer one, so that the grid can tell a request that started before a failover
     * @throws SessionGoneException if the session no longer exists or was invalidated
     * @throws SessionFencedException if the request read {@code base} before a failover its member did not
     *                                see and the cluster has changed what it writes since (nothing was applied)
     */
    SessionRecord commit(String id, SessionDelta delta, SessionRecord base);

    /**
     * As {@link #commit(String, SessionDelta, SessionRecord)}, by the holder of {@code lock} (null:
     * no lock). The primary applies the change only while the lock is still this holder's.
     *
     * @throws SessionLockLostException if the lock is no longer held (nothing was applied)
     */
    SessionRecord commit(String id, SessionDelta delta, SessionRecord base, SessionLock lock);

    /**
     * Invalidates a session everywhere, leaving a tombstone for {@code tombstoneTimeout} so that a late
     * commit cannot bring it back. Idempotent.
     *
     * @return true if this call invalidated a live session
     */
    boolean invalidate(String id);

    /**
     * As {@link #invalidate(String)}, by a request that read {@code base}: refused if the session changed
     * since under a newer topology (the request started before a failover its member did not see, and the
     * user went on using the session elsewhere).
     *
     * @param base the record the request read (null: none, which invalidates whatever the session became)
     * @return true if this call invalidated a live session
     * @throws SessionFencedException if the request read {@code base} before a failover its member did not
     *                                see and the session changed since (it was not invalidated)
     */
    boolean invalidate(String id, SessionRecord base);

    /**
     * Ends a session on behalf of this member's container, which judged it expired (the grid does not
     * check its own expiry time: an adapter sets the grid's timeout longer than the container's, so that
     * the container's scavenger comes first). The container then owes the listener calls: it calls
     * {@link #announceExpiry} right before it makes them, and makes them only if that returns true.
     *
     * <p>Until then the record is an expiry tombstone that keeps the attributes and names this member as
     * claimant, at every owner. Should this member leave the topology (crash, expulsion) before it
     * announced, or not announce within the claim's lease of {@code max(60 s, 4 x remoteTimeout)}, the
     * session's primary announces it and calls {@link SessionListener#expired} on its own member, once.
     * The one remaining window is this member dying between its announcement and the call.
     *
     * <p>Ending the session refuses later writes like {@link #invalidate} does, for {@code tombstoneTimeout}.
     *
     * @return the session's last contents, attributes included, if this call ended a live session (the
     *         listeners are this member's to call); null if it no longer exists or was ended already
     *         (someone else calls them, or did)
     */
    SessionRecord claimExpiry(String id);

    /**
     * Records that the listeners of a session this member claimed ({@link #claimExpiry}) are being called
     * now. Call it right before calling them. Waits up to 3 x {@code remoteTimeout} for the primary's answer
     * (a primary may wait remoteTimeout for a backup that died before it answers).
     *
     * @return true if this call recorded the announcement: call the listeners; false if the expiry was
     *         announced already (the claimant was presumed gone or its lease ran out, and the primary
     *         announced it and called its own member's listener), or the session was not claimed: do not
     *         call them
     */
    boolean announceExpiry(String id);

    /**
     * Moves a session to a new id (session fixation protection at login): the record is created
     * under {@code newId} and the old id invalidated.
     *
     * @return the record under the new id
     * @throws SessionGoneException if the old session no longer exists
     */
    SessionRecord changeId(String oldId, String newId);

    /**
     * As {@link #changeId(String, String)}, by a request that read {@code base}. The move ends the old id,
     * and the request goes on with the copy under the new one as its base: a request that read before a
     * failover its member did not see would both end the session the user went on using elsewhere and
     * commit its older values on a current base. So the old id's end is fenced as
     * {@link #invalidate(String, SessionRecord)} is, and a refused move leaves the old id as it was and
     * the new id unused.
     *
     * @param base the record the request read (null: none)
     * @throws SessionFencedException if the request read {@code base} before a failover its member did not
     *                                see and the session changed since (nothing was moved)
     */
    SessionRecord changeId(String oldId, String newId, SessionRecord base);

    /**
     * Mints a session id whose primary is this member, so that a sticky balancer keeps the user on
     * the node that holds the session without a network call. Falls back to a plain generated id
     * if none of a bounded number of candidates lands here.
     */
    String newLocalId(Supplier<String> generator);

    /** True if this member is the primary of the session under the current topology. */
    boolean isLocalPrimary(String id);

    /** The session's owners under the current topology. */
    SessionOwners owners(String id);

    /**
     * Every live session of this namespace in the whole cluster, as its primary holds it, without
     * attribute values (metadata only). Asks every member; meant for housekeeping and admin pages
     * (Tomcat's cluster-wide counts, Jetty's expiry scans), not for requests.
     */
    java.util.List<SessionRecord> listSessions();

    /**
     * Records that a request used the session at {@code accessTime} without changing it. Access
     * times travel to the primary batched (at most {@code accessTimeGranularity} later), never one
     * message per request; the primary uses them for expiry. Does not block.
     */
    void touch(String id, long accessTime);

    /**
     * Sets the listener for grid-driven events of this namespace on this member (expiry), replacing
     * any previous one; null removes it. Removing it also stops this member from expiring the
     * namespace's sessions (a webapp stopping on this node, the grid still running while it hands its
     * segments over): their expiry is left to a primary whose webapp can still be told, instead of
     * happening here with nobody to call. Setting a listener again resumes it. Removing waits (at most
     * 10 s) for an expiry call in flight to the listener being removed, so an adapter removes it while
     * its webapp can still take that call, before it begins to stop.
     */
    void setListener(SessionListener listener);

    /**
     * Acquires the session's cluster-wide lock, waiting at most {@code timeoutMillis}. Used by
     * adapters with {@code lockingMode} other than {@code none}, around a whole request.
     *
     * @throws SessionLockTimeoutException if another holder keeps it longer than the timeout
     */
    SessionLock lock(String id, long timeoutMillis);
}
