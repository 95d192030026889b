package org.sessiongrid.jetty.cache;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.AbstractSessionCacheFactory;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.session.SessionCacheFactory;
import org.eclipse.jetty.session.SessionManager;

/**
 * Makes a {@link SessionGridSessionCache} per context; register it on the server
 * ({@code server.addBean(...)}) next to the store factory. Jetty's cache settings (eviction policy,
 * {@code flushOnResponseCommit}, ...) apply as for Jetty's {@code DefaultSessionCacheFactory}.
 */
public class SessionGridSessionCacheFactory extends AbstractSessionCacheFactory {

    /**
     * Registers a SessionGrid cache factory on {@code server} unless a session cache factory is
     * registered already (a jetty-home {@code session-cache-*} module chose another cache): used by
     * the jetty-home module's XML.
     *
     * @return the registered factory, or null if another one was already there
     */
    public static SessionGridSessionCacheFactory addIfAbsent(Server server, int evictionPolicy,
                                                             boolean flushOnResponseCommit) {
        if (server.getBean(SessionCacheFactory.class) != null) {
            return null;
        }
        SessionGridSessionCacheFactory f = new SessionGridSessionCacheFactory();
        f.setEvictionPolicy(evictionPolicy);
        f.setFlushOnResponseCommit(flushOnResponseCommit);
        server.addBean(f);
        return f;
    }

    @Override
    public SessionCache newSessionCache(SessionManager manager) {
        return new SessionGridSessionCache(manager);
    }
}
