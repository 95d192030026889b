package org.sessiongrid.jetty.testing;

import java.util.function.Function;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.session.DefaultSessionIdManager;
import org.eclipse.jetty.session.SessionManager;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.store.SessionGridDataStore;

/** The Jetty server of a one-JVM test: one connector on 127.0.0.1 at a free port, Jetty's id manager. */
public final class LoopbackServer {

    private LoopbackServer() {
    }

    /** A server, not started, whose session ids carry worker name {@code worker}. */
    public static Server withWorker(String worker) {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        DefaultSessionIdManager ids = new DefaultSessionIdManager(server);
        ids.setWorkerName(worker);
        server.addBean(ids, true);
        return server;
    }

    /**
     * Makes {@code ctx} the handler of {@code server}, behind {@link SessionGridRequestHandler}, with the
     * SessionGrid cache over the store {@code newStore} makes for the context's session manager.
     *
     * @return that store (the server is not started)
     */
    public static <S extends SessionGridDataStore> S serveWithGrid(Server server, ServletContextHandler ctx,
                                                                   Function<SessionManager, S> newStore) {
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        S store = newStore.apply(ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(ctx));
        return store;
    }
}
