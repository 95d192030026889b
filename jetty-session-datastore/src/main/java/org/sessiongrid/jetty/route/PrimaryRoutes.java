package org.sessiongrid.jetty.route;

import java.util.function.Supplier;

import org.eclipse.jetty.session.SessionIdManager;
import org.sessiongrid.grid.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one SessionGrid store tells a {@link SessionGridSessionIdManager}: the primary of a session
 * under the grid's current topology, and new ids whose primary is this member. Routes are member
 * names, so they mean something to the balancer only where member names are the farm's worker names
 * (the default).
 */
public final class PrimaryRoutes implements SessionGridSessionIdManager.Routes {

    private static final Logger LOG = LoggerFactory.getLogger(PrimaryRoutes.class);

    private final Supplier<SessionStore> sessions;
    private final boolean named;

    private PrimaryRoutes(Supplier<SessionStore> sessions, boolean named) {
        this.sessions = sessions;
        this.named = named;
    }

    /**
     * Offers the routes of a started store to the context's id manager, if it is a
     * {@link SessionGridSessionIdManager}; says at INFO why routes stay Jetty's otherwise.
     *
     * @param sessions   the store's grid store while it is started, else null
     * @param memberName this grid member's name
     * @param workerName the server's worker name (null if none)
     * @param namespace  the store's namespace, for the log
     * @return the routes offered (to withdraw when the store stops), or null
     */
    public static PrimaryRoutes offer(SessionIdManager ids, Supplier<SessionStore> sessions, String memberName,
                                      String workerName, String namespace) {
        if (!(ids instanceof SessionGridSessionIdManager routing)) {
            LOG.info("Session ids of {} carry the worker name of the node that served the request ({}), not their"
                    + " primary's: a sticky balancer keeps users on that node. Install"
                    + " org.sessiongrid.jetty.route.SessionGridSessionIdManager to route them to their primary (the"
                    + " jetty-home module does)", namespace, ids == null ? "no id manager" : ids.getClass().getName());
            return null;
        }
        boolean named = memberName.equals(workerName);
        if (!named) {
            LOG.info("Session ids of {} keep the worker name {} of the node that served the request: member name {}"
                    + " is not the worker name, so a route naming the primary would mean nothing to the balancer",
                    namespace, workerName, memberName);
        }
        PrimaryRoutes routes = new PrimaryRoutes(sessions, named);
        routing.addRoutes(routes);
        return routes;
    }

    /** Withdraws routes offered by {@link #offer}. */
    public void withdraw(SessionIdManager ids) {
        if (ids instanceof SessionGridSessionIdManager routing) {
            routing.removeRoutes(this);
        }
    }

    @Override
    public String primaryRoute(String id) {
        SessionStore s = sessions.get();
        return named && s != null ? s.owners(id).primary() : null;
    }

    @Override
    public String localId(Supplier<String> generator) {
        SessionStore s = sessions.get();
        return s != null ? s.newLocalId(generator) : generator.get();
    }
}
