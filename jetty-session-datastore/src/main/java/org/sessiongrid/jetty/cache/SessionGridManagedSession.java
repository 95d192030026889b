package org.sessiongrid.jetty.cache;

import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionManager;

/**
 * Jetty's session object in a {@link SessionGridSessionCache}: its invalidation asks the grid to end the
 * session before Jetty runs the listeners ({@link SessionGridSessionCache#endsInGrid}). Jetty's own order
 * (the listeners, then the store's delete, which names no copy) leaves a store no way to refuse an end
 * without the listeners having run for a session that goes on.
 */
final class SessionGridManagedSession extends ManagedSession {

    private final SessionGridSessionCache cache;

    SessionGridManagedSession(SessionManager manager, SessionData data, SessionGridSessionCache cache) {
        super(manager, data);
        this.cache = cache;
    }

    /** Jetty's invalidation, once the grid ended the session; nothing (no listener) if the grid refused. */
    @Override
    public void invalidate() {
        if (cache.endsInGrid(this)) {
            super.invalidate();
        }
    }
}
