package org.sessiongrid.grid;

import org.sessiongrid.session.SessionRecord;

/**
 * Events the grid delivers to the container adapter of this member for one namespace.
 * Callbacks run on a grid thread; an adapter switches to the webapp's class loader itself.
 */
public interface SessionListener {

    /**
     * The session timed out. Called once in the whole cluster, on the member that is the session's
     * primary, after the grid replaced the record by a tombstone on every live owner; {@code last}
     * carries the attributes, so that the adapter can fire {@code sessionDestroyed} and unbound events
     * with the values (its {@code meta().valid()} may already be false).
     *
     * <p>The tombstone remembers that the call is still due: the primary first records, at every owner,
     * that it makes the call, then makes it; should it fail or lose its primary role before recording,
     * the next primary does both. The one remaining window is a primary dying between recording and
     * calling, where the call is lost.
     *
     * <p>Also called for a session a container claimed ({@link SessionStore#claimExpiry}) whose claimant
     * did not announce it ({@link SessionStore#announceExpiry}): because the claimant left the topology
     * (crashed, expelled), or its claim's lease ran out. The claimant's own announcement then loses and
     * it calls nothing, so the call is still made once; what remains lost is a claimant dying between its
     * announcement and its own call.
     */
    void expired(SessionRecord last);

    /**
     * The session changed at its primary, by a request on another member, and is now at
     * {@code version}: a copy this member holds at a lower version is stale and may be evicted.
     * Delivered, at most once per change and without a guarantee, to members that read or committed
     * the session since its previous change, and to the primary's own member when the change came from
     * another; lock and unlock do not count as changes. Correctness never depends on it (a stale copy is
     * detected by the version check of the next request), it only frees memory early and spares
     * a container cache from serving a stale copy. Default: nothing.
     */
    default void changed(String id, long version) {
    }

    /**
     * Whether {@link #changed} does anything for this container. False: it keeps no copy a notice could
     * free or refresh (each copy is checked against the primary at every request anyway), and a primary
     * whose own listener of the namespace answers false sends no notices of the namespace's sessions at all
     * (one adapter serves a namespace throughout the cluster, so its peers' listeners answer the same); on a
     * round-robin farm that is a notice and its acknowledgement per remote write. A primary without a
     * listener of the namespace sends them. Default: true.
     */
    default boolean takesChanges() {
        return true;
    }

    /**
     * Whether {@link #expired} can be honoured now (the webapp is running). Asked right before the grid
     * records that an expiry is announced: while false, this member expires the namespace's sessions
     * but leaves their announcements, and the listener calls, to a later pass or another primary,
     * instead of recording a call that would go nowhere. Default: true.
     */
    default boolean accepting() {
        return true;
    }
}
