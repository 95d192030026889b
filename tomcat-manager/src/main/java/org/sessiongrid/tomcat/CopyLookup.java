package org.sessiongrid.tomcat;

import java.util.Map;

import org.apache.catalina.Session;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's copies as the requests find them: a copy validated against the grid once per request (a local
 * primary answers from memory, any other node asks the primary whether its version is current and fetches only
 * what changed), a new copy decoded from the grid's record, and a session the client named stored at once.
 *
 * <p>Holds no state of its own: the copies are the manager's map, keyed by id without route; a copy is refreshed
 * under its lock ({@link GridSession#sync}), and joins the request's {@link RequestScope} under it, so that
 * {@link IdleCopies} never drops a copy a request took.
 */
final class CopyLookup {

    /** The manager's: operators read one logger for what this adapter does with a context's sessions. */
    private static final Logger LOG = LoggerFactory.getLogger(SessionGridManager.class);

    private final SessionGridManager manager;
    private final Map<String, Session> copies;

    /** @param copies the manager's sessions, keyed by id without route */
    CopyLookup(SessionGridManager manager, Map<String, Session> copies) {
        this.manager = manager;
        this.copies = copies;
    }

    /**
     * Stores a session the client named (a cookie with path "/" shared across webapps) in the grid at once, so that
     * an id that is taken or recently invalidated is replaced by a fresh one instead of failing at the end of the
     * request.
     *
     * @return the stored record, or null while the manager is stopped
     * @throws org.sessiongrid.grid.SessionExistsException if {@code id} is taken: the caller makes a fresh one
     */
    SessionRecord createNamed(String id, int maxInactiveSeconds) {
        GridBinding b = manager.bound();
        if (b == null) {
            return null;
        }
        return b.store().create(id, SessionDelta.builder().maxInactiveInterval(maxInactiveSeconds).build());
    }

    /** See {@link SessionGridManager#findSession}. */
    GridSession find(String id) {
        GridBinding b = manager.bound();
        if (id == null || b == null) {
            return null;
        }
        RequestScope scope = RequestScope.current();
        GridSession used = scope == null ? null : scope.usedWithId(id, manager);
        if (used != null && !used.dropped() && copies.get(used.key()) == used) {
            // Already validated in this request (Tomcat's own look-up after the valve's).
            return used.isValid() ? used : null;
        }
        String key = SessionGridManager.key(id);
        GridSession local = (GridSession) copies.get(key);
        if (local != null && (local.record() == null || (scope != null && scope.contains(local)))) {
            // A new session not stored yet (its first request is still running), or already
            // validated in this request.
            return local.isValid() ? local : null;
        }
        return refresh(b, key, id, local, scope);
    }

    /**
     * The copy of {@code key} brought up to date, or a new one decoded from the grid's record; joined to
     * {@code scope} (if any) under the copy's lock, so that {@link IdleCopies} never drops a copy a request took.
     */
    private GridSession refresh(GridBinding b, String key, String id, GridSession local, RequestScope scope) {
        SessionStore s = b.store();
        if (local != null && local.changedBefore(b.topologyId())) {
            // Changes made on what this copy read under an older topology (by a request still running, which
            // started before this member was paused and rejoined, say), or still to be made by a request
            // that read it then, must not ride on a record refreshed under this one: the copy stays with the
            // requests holding it, whose commit (or invalidation, or id change) names the version they read
            // (and is fenced if it would overwrite what the cluster stored since), and this request gets a
            // copy of its own.
            copies.remove(key, local);
            LOG.debug("Session {} in {}: a request using the copy read under topology {} still runs; this"
                    + " request under topology {} reads a copy of its own", key, manager.namespace(),
                    local.agreedTopology(), b.topologyId());
            local = null;
        }
        if (local != null) {
            synchronized (local.sync) {
                if (copies.get(key) == local) {
                    long topology = b.topologyId();
                    SessionRecord current = s.find(key, local.record());
                    if (current == null) {
                        local.discard();
                        return null;
                    }
                    local.refreshTo(current, b.codec(), b.webappLoader());
                    local.agreedUnder(topology);
                    if (!local.isValid()) {
                        return null;
                    }
                    if (scope != null) {
                        scope.add(local);
                    }
                    return local;
                }
                // Dropped while this request waited for it (idle, or stale): decode a copy of its own below.
            }
        }
        long topology = b.topologyId();
        SessionRecord current = s.find(key, null);
        if (current == null) {
            return null;
        }
        GridSession copy = (GridSession) manager.createEmptySession();
        copy.load(current, id, b.codec(), b.webappLoader());
        copy.agreedUnder(topology);
        Session raced;
        synchronized (copy.sync) {
            raced = copies.putIfAbsent(key, copy);
            if (raced == null) {
                // A copy deserialized from the grid's record, as PersistentManager's swap-in or a restart's load.
                copy.activate();
                if (scope != null) {
                    scope.add(copy);
                }
            }
        }
        if (raced != null) {
            // Another request of the same user built a copy at the same moment: use that one.
            return refresh(b, key, id, (GridSession) raced, scope);
        }
        manager.add(copy); // statistics
        return copy;
    }
}
