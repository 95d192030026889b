package org.sessiongrid.tomcat;

import java.util.Map;

import org.apache.catalina.Session;
import org.sessiongrid.codec.QuarantinedAttribute;
import org.sessiongrid.codec.UnreadableAttributeException;
import org.sessiongrid.grid.SessionListener;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the grid tells a context, turned into Tomcat's events: an expiry decided by the session's primary fires
 * Tomcat's expiry (sessionDestroyed, unbound events) once in the cluster, with the last attribute values; an
 * attribute this node cannot read is counted and logged. Takes no change notices: every request checks its copy
 * against the primary, and {@link IdleCopies} frees idle ones.
 *
 * <p>Holds no state of its own; the grid calls it on its threads, and a copy is refreshed under its lock.
 */
final class GridEvents implements SessionListener {

    /** The manager's: operators read one logger for what this adapter does with a context's sessions. */
    private static final Logger LOG = LoggerFactory.getLogger(SessionGridManager.class);

    private final SessionGridManager manager;
    private final Map<String, Session> copies;

    /** @param copies the manager's sessions, keyed by id without route */
    GridEvents(SessionGridManager manager, Map<String, Session> copies) {
        this.manager = manager;
        this.copies = copies;
    }

    @Override
    public boolean accepting() {
        return manager.bound() != null && manager.getState().isAvailable();
    }

    @Override
    public boolean takesChanges() {
        // findSession checks each copy against the primary at every request, and IdleCopies frees
        // idle ones: a notice would change nothing here but cost a message and its acknowledgement.
        return false;
    }

    /**
     * Grid thread, on the session's primary, once in the cluster: fire Tomcat's expiry (sessionDestroyed,
     * unbound events) with the last attribute values.
     */
    @Override
    public void expired(SessionRecord last) {
        GridBinding b = manager.bound();
        if (b == null || !manager.getState().isAvailable()) {
            LOG.warn("Session {} expired while {} is not running here: its sessionDestroyed listeners do not fire",
                    last.key().id(), manager.namespace());
            return;
        }
        String key = last.key().id();
        GridSession s = (GridSession) copies.get(key);
        if (s != null) {
            synchronized (s.sync) {
                s.refreshTo(last, b.codec(), b.webappLoader());
            }
        } else {
            s = (GridSession) manager.createEmptySession();
            String jvmRoute = manager.getJvmRoute();
            s.load(last, jvmRoute == null || jvmRoute.isEmpty() ? key : key + "." + jvmRoute, b.codec(),
                    b.webappLoader());
        }
        LOG.debug("Session {} of {} expired", key, manager.namespace());
        s.expireFromGrid();
    }

    /** An attribute of {@code sessionId} this node cannot read is left out of its copy: counted and logged. */
    void quarantined(String sessionId, UnreadableAttributeException e) {
        QuarantinedAttribute q = QuarantinedAttribute.of(manager.namespace(), String.valueOf(sessionId), e);
        GridBinding b = manager.bound();
        if (b != null) {
            b.grid().stats().quarantined();
        }
        LOG.warn("Session attribute '{}' of session {} in {} is left out on this node ({}): {}", q.attribute(),
                q.sessionId(), q.namespace(), q.reason(), q.message());
    }
}
