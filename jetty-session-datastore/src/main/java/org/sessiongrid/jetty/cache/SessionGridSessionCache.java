package org.sessiongrid.jetty.cache;

import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.util.thread.AutoLock;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's {@link DefaultSessionCache} that never hands a request a stale copy: when a request
 * arrives for a session this node holds and no other request here is using it, the cache asks the
 * {@link SessionGridDataStore} whether the copy is still current (a memory check when this node is
 * the session's primary, the usual case with a sticky balancer; else one small round trip to the
 * primary) and, if another node changed or ended the session meanwhile, drops the copy and loads
 * the current one.
 *
 * <p>This is what keeps sticky and non-sticky farms coherent with a caching node: Jetty's own
 * stores leave stale copies in other nodes' caches (Jetty issues #2907, #3277, #4646). Jetty's
 * session API has no hook by which a store could refresh the cache, hence this cache class; with
 * Jetty's plain {@code DefaultSessionCache} a node may serve its older copy after another node
 * changed the session, so use this cache (or {@code NullSessionCache}) with a non-sticky balancer.
 */
public class SessionGridSessionCache extends DefaultSessionCache {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridSessionCache.class);

    /** Copies this cache dropped as stale (here or by a change notice), to tell a drop from a deletion. */
    private final AtomicLong drops = new AtomicLong();

    public SessionGridSessionCache(SessionManager manager) {
        super(manager);
    }

    /**
     * Counts a stale copy about to be dropped; call before marking it non-resident.
     */
    public void dropping() {
        drops.incrementAndGet();
    }

    /**
     * Jetty answers null when it finds a copy that was just made non-resident and the eviction
     * policy is NEVER_EVICT (it takes that for a deleted session). A copy this cache dropped as
     * stale is not deleted: look again, so that the request loads the current session instead of
     * being handed none (and the application making a new one, losing the user's).
     */
    @Override
    protected ManagedSession getAndEnter(String id, boolean enter) throws Exception {
        for (int attempt = 0; ; attempt++) {
            long before = drops.get();
            ManagedSession s = super.getAndEnter(id, enter);
            if (s != null || drops.get() == before || attempt >= 3) {
                return s;
            }
        }
    }

    @Override
    public ManagedSession get(String id) throws Exception {
        if (getSessionDataStore() instanceof SessionGridDataStore store) {
            // lockingMode: the lock first, so that the copy is checked (and loaded) under it.
            store.lockForRequest(id);
            ManagedSession s = doGet(id);
            if (s != null) {
                dropIfStale(store, id, s);
            }
        }
        return super.get(id);
    }

    private void dropIfStale(SessionGridDataStore store, String id, ManagedSession s) {
        try (AutoLock ignored = s.lock()) {
            // A copy in use by another request here is shared with it, as Jetty always does; its
            // changes merge at the primary when that request ends.
            if (s.getRequests() > 0 || !s.isResident()) {
                return;
            }
            boolean current;
            try {
                current = store.isCurrent(id, s.getSessionData());
            } catch (RuntimeException e) {
                // The grid cannot answer (a failover beyond remoteTimeout): serving the local copy
                // beats failing the request; its write-back merges or is refused at the primary.
                LOG.warn("Could not check session {} against the grid, using this node's copy: {}", id, e.getMessage());
                return;
            }
            if (!current) {
                dropping();
                s.setResident(false);
                doDelete(id);
                LOG.debug("Session {} changed on another node; reloading it", id);
            }
        }
    }
}
