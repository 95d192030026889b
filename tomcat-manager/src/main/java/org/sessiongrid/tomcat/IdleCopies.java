package org.sessiongrid.tomcat;

import java.util.Map;
import java.util.function.Function;

import org.apache.catalina.Session;

/**
 * Drops the decoded copies no request used for {@code copyIdleTimeout}: the container's session object with
 * its deserialized attribute values leaves this node's memory, and only the grid's record stays (on the
 * primary, in the same JVM). The next request for the session decodes a new copy from that record
 * ({@link SessionGridManager#findSession}), as it would on any other node.
 *
 * <p>Tomcat's {@code PersistentManager} swaps idle sessions out the same way; like it, a dropped copy fires
 * {@code sessionWillPassivate} on its {@code HttpSessionActivationListener} values, and the copy made from the
 * record fires {@code sessionDidActivate}. A copy is kept while anything lives only in it (see
 * {@link GridSession#idleAndOnlyInGrid}).
 */
final class IdleCopies {

    private final long timeoutMillis;

    /** @param timeoutMillis idle time after which a copy is dropped; 0 never drops one */
    IdleCopies(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Drops the copies of {@code sessions} (keyed by {@code keyOf}) idle for the timeout at {@code now}.
     *
     * @return how many were dropped
     */
    int drop(Map<String, Session> sessions, Function<String, String> keyOf, long now) {
        if (timeoutMillis <= 0) {
            return 0;
        }
        int dropped = 0;
        for (Session s : sessions.values()) {
            if (s instanceof GridSession gs && gs.idleAndOnlyInGrid(now, timeoutMillis)) {
                // Under the copy's lock: a request that finds the copy meanwhile waits in its refresh, then sees
                // it gone from the map and decodes a copy of its own; one holding it already keeps it (it counts
                // in requestsInFlight, and the copy is not idle).
                synchronized (gs.sync) {
                    if (gs.idleAndOnlyInGrid(now, timeoutMillis)) {
                        // Passivated while still in the map, so that its sessionWillPassivate runs before the next
                        // copy's sessionDidActivate.
                        gs.passivate();
                        if (sessions.remove(keyOf.apply(gs.getIdInternal()), gs)) {
                            dropped++;
                        }
                    }
                }
            }
        }
        return dropped;
    }
}
