package org.sessiongrid.boot.jetty;

import java.util.Map;
import java.util.Optional;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.session.SessionManager;
import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.jetty.cache.SessionGridSessionCacheFactory;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;
import org.springframework.boot.jetty.JettyServerCustomizer;

/**
 * Sets up the embedded Jetty as the jetty-home module {@code session-store-sessiongrid} sets up a real
 * one: SessionGrid's session id manager (routes name the session's primary; its worker name is
 * {@code nodeName} when set), the store factory with the {@code sessiongrid.*} settings (it checks and
 * resolves them when the context starts, as it does for the module's properties), SessionGrid's session
 * cache (saves before the response is committed) and the request handler in front of the application's
 * context. Boot calls server customizers after it set the server's handler, so the request handler is
 * inserted where it must be; Boot's own session settings ({@code server.servlet.session.timeout}, the
 * cookie) stay on the context's session handler.
 */
public final class SessionGridJettyCustomizer implements JettyServerCustomizer, SessionGridHandle {

    private final Map<String, String> settings;
    private volatile Server server;

    /**
     * @param settings the settings by their names ({@link org.sessiongrid.boot.SessionGridProperties#settings()})
     */
    public SessionGridJettyCustomizer(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
    }

    @Override
    public void customize(Server server) {
        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server);
        String nodeName = settings.get("nodeName");
        if (nodeName != null) {
            ids.setWorkerName(nodeName);
        }
        server.addBean(ids, true);
        SessionGridDataStoreFactory stores = new SessionGridDataStoreFactory();
        settings.forEach(stores::setSetting);
        server.addBean(stores);
        SessionGridSessionCacheFactory caches = new SessionGridSessionCacheFactory();
        caches.setFlushOnResponseCommit(true);
        server.addBean(caches);
        server.insertHandler(new SessionGridRequestHandler());
        this.server = server;
    }

    @Override
    public Optional<SessionGrid> grid() {
        Server s = server;
        if (s == null) {
            return Optional.empty();
        }
        for (SessionManager m : s.getContainedBeans(SessionManager.class)) {
            SessionCache cache = m.getSessionCache();
            if (cache != null && cache.getSessionDataStore() instanceof SessionGridDataStore store && store.grid() != null) {
                return Optional.of(store.grid());
            }
        }
        return Optional.empty();
    }
}
