package org.sessiongrid.tomcat;

import org.apache.catalina.connector.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With a jvmRoute, the id's route names the session's current primary, so a sticky balancer follows it: whenever
 * the id the client sent (or a copy's id) names another member, the copy takes the corrected id and the response
 * sets the corrected cookie.
 *
 * <p>Holds no state of its own: what a copy's route was last checked under is the copy's
 * ({@link GridSession#routeCheckedUnder}), changed under its lock.
 */
final class PrimaryRoutes {

    /** The manager's: operators read one logger for what this adapter does with a context's sessions. */
    private static final Logger LOG = LoggerFactory.getLogger(SessionGridManager.class);

    private final SessionGridManager manager;

    PrimaryRoutes(SessionGridManager manager) {
        this.manager = manager;
    }

    /**
     * Corrects the route of {@code s}'s id and of the request's. Runs when the request's session is loaded, so the
     * application's {@code getId()} and {@code encodeURL} already show the corrected id, and again at the commit
     * point in case the primary moved meanwhile. The owners are looked up once per topology and id of the copy, not
     * per request: they change only with the topology.
     */
    void correct(Request request, GridSession s) {
        String jvmRoute = manager.getJvmRoute();
        GridBinding b = manager.bound();
        if (jvmRoute == null || jvmRoute.isEmpty() || b == null || request.getResponse().isCommitted()) {
            return;
        }
        // Read before the owners: a topology installed in between makes the next request look again.
        long topology = b.topologyId();
        String routed = s.routeCheckedUnder(topology);
        if (routed == null) {
            String id = s.getIdInternal();
            String primary = b.store().owners(id).primary();
            if (primary == null) {
                return;
            }
            routed = SessionGridManager.key(id) + "." + primary;
            if (!routed.equals(id)) {
                synchronized (s.sync) {
                    // The grid key is the id without route: only the local copy and the cookie change.
                    s.setId(routed, false);
                }
                LOG.debug("Session {} now routes to its primary {}", routed, primary);
            }
            s.routeChecked(topology);
        }
        String requested = request.getRequestedSessionId();
        if (requested != null && !requested.equals(routed)
                && SessionGridManager.key(requested).equals(SessionGridManager.key(routed))) {
            request.changeSessionId(routed);
        }
    }
}
