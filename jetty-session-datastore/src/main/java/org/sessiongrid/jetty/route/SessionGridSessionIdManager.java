package org.sessiongrid.jetty.route;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.DefaultSessionIdManager;
import org.eclipse.jetty.session.HouseKeeper;
import org.eclipse.jetty.session.SessionIdManager;

/**
 * Jetty's session id manager with routes that follow each session's primary: the route a session
 * id carries (the worker name after the dot, which a sticky balancer matches to a node) names the
 * member that is the session's primary now, instead of the node that served the request. So a sticky
 * balancer sends the user to the node that holds the session in memory, and, after a failover or a
 * rebalance moved the session, to its new primary.
 *
 * <p>Jetty asks for the route every time a request brings a session id ({@code getManagedSession}),
 * and when the route differs from the requested one it sets the session cookie again with the
 * corrected id, before the application runs: the page already sees the corrected id
 * ({@code Session.getExtendedId()}, {@code encodeURL}). New session ids are picked among ids whose
 * primary is this node (the grid's key affinity), so a new session starts where it is held.
 *
 * <p>Routes come from the SessionGrid stores of the server's contexts ({@link Routes}); without a
 * started store, or where member names are not the farm's worker names, Jetty's own route (this node's
 * worker name) is used. Install it instead of Jetty's {@link DefaultSessionIdManager}:
 * {@code server.addBean(new SessionGridSessionIdManager(server))} with a worker name per node, or
 * {@link #install(Server)} (the jetty-home module {@code session-store-sessiongrid} does).
 */
public class SessionGridSessionIdManager extends DefaultSessionIdManager {

    /** What a SessionGrid store knows about the sessions of its context. */
    public interface Routes {
        /** The route of session {@code id} (without route): its primary's name, or null if not known now. */
        String primaryRoute(String id);

        /** An id from {@code generator} whose primary is this node, if one comes up soon. */
        String localId(Supplier<String> generator);
    }

    private final List<Routes> routes = new CopyOnWriteArrayList<>();

    public SessionGridSessionIdManager(Server server) {
        super(server);
    }

    /**
     * Puts a SessionGridSessionIdManager in place of the server's session id manager, with its worker
     * name and housekeeper; called before the server starts (the jetty-home module's XML does).
     *
     * @return the id manager the server uses from now on
     * @throws IllegalStateException if the server's id manager already started
     */
    public static SessionGridSessionIdManager install(Server server) {
        SessionIdManager current = server.getBean(SessionIdManager.class);
        if (current instanceof SessionGridSessionIdManager ours) {
            return ours;
        }
        if (current != null && current.isStarted()) {
            throw new IllegalStateException("the server's session id manager " + current + " is started already;"
                    + " install SessionGridSessionIdManager before the server starts");
        }
        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server);
        if (current != null) {
            ids.setWorkerName(current.getWorkerName());
            HouseKeeper keeper = current.getSessionHouseKeeper();
            server.removeBean(current);
            if (keeper != null) {
                ids.setSessionHouseKeeper(keeper);
            }
        }
        server.addBean(ids, true);
        return ids;
    }

    /** Called by a SessionGrid store when it starts. */
    public void addRoutes(Routes source) {
        routes.add(source);
    }

    /** Called by a SessionGrid store when it stops. */
    public void removeRoutes(Routes source) {
        routes.remove(source);
    }

    /** {@code id.primary}, or Jetty's {@code id.workerName} while no store knows the primary. */
    @Override
    public String getExtendedId(String clusterId, Request request) {
        if (getWorkerName() != null && !getWorkerName().isBlank()) {
            for (Routes r : routes) {
                String route = r.primaryRoute(clusterId);
                if (route != null) {
                    return clusterId + '.' + route;
                }
            }
        }
        return super.getExtendedId(clusterId, request);
    }

    /** A new id whose primary is this node, so that the session starts where it is held. */
    @Override
    public String newSessionId(long seedTerm) {
        Routes first = routes.stream().findFirst().orElse(null);
        return first == null ? super.newSessionId(seedTerm) : first.localId(() -> super.newSessionId(seedTerm));
    }
}
