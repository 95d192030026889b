package org.sessiongrid.it.check;

/** One thing the checker found wrong, with what a person needs to look it up in the logs. */
public record Violation(Type type, int user, String sessionId, String node, long at, String detail) {

    /** The kinds of violation. */
    public enum Type {
        /** A later answer or the final read shows less than an acknowledged increment. */
        LOST_INCREMENT,
        /** An increment was based on an older copy: the counter stepped back. */
        STALE_READ,
        /** The user's session vanished (a new one was created, or the node had none) without invalidation. */
        SESSION_LOST,
        /** A session that was invalidated was served again. */
        RESURRECTED,
        /** The counter grew by more than acknowledged plus failed increments: a write applied twice. */
        PHANTOM_INCREMENT,
        /** sessionDestroyed fired more than once for one session. */
        DESTROYED_TWICE,
        /** A session left to time out never saw sessionDestroyed. */
        NEVER_DESTROYED,
        /** Some user could not be served for longer than the test allows. */
        OUTAGE_TOO_LONG,
        /**
         * A request ran twice on the session (its answer said {@link org.sessiongrid.it.load.Op#replayed()})
         * where nothing between the load client and the grid resends: the grid applied one request twice.
         */
        APPLIED_TWICE,
        /**
         * The session's own list of the requests it applied (the answer's {@code earlier=}) no longer holds an
         * acknowledged request: its change was overwritten by a copy that never had it, even when the counter
         * happens to look right.
         */
        ACKNOWLEDGED_REQUEST_MISSING,
        /** A final read still failed (error status, timeout) after its retries: the copies cannot be shown to converge. */
        FINAL_READ_FAILED
    }

    @Override
    public String toString() {
        return type + " user=" + user + " session=" + sessionId + " node=" + node + " at=" + at + "ms: " + detail;
    }
}
