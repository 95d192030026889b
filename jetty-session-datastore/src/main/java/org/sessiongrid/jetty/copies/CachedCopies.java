package org.sessiongrid.jetty.copies;

import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.util.thread.AutoLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copies a Jetty {@link DefaultSessionCache} (or a subclass) holds, and the one way a copy leaves
 * it without listeners: marked non-resident and removed under the session's lock, so that a request
 * that already holds it keeps a consistent object and the next one loads what the grid holds. Every
 * drop is counted ({@link #drops}), so that a cache can tell a dropped copy from a deleted session.
 */
public final class CachedCopies implements LocalCopies {

    private static final Logger LOG = LoggerFactory.getLogger(CachedCopies.class);

    private final DefaultSessionCache cache;
    private final AtomicLong drops = new AtomicLong();

    public CachedCopies(DefaultSessionCache cache) {
        this.cache = cache;
    }

    /** How many copies this has dropped so far. */
    public long drops() {
        return drops.get();
    }

    /**
     * Drops {@code session} unless a request is using it or it left the cache already.
     *
     * @return true if it was dropped
     */
    public boolean dropIfIdle(ManagedSession session, String why) {
        try (AutoLock ignored = session.lock()) {
            if (session.getRequests() > 0 || !session.isResident()) {
                return false;
            }
            remove(session, why);
            return true;
        }
    }

    /** Drops {@code session} whoever uses it (its requests keep their object; nothing saves it into the cache again). */
    public void drop(ManagedSession session, String why) {
        try (AutoLock ignored = session.lock()) {
            remove(session, why);
        }
    }

    private void remove(ManagedSession session, String why) {
        drops.incrementAndGet();
        session.setResident(false);
        cache.doDelete(session.getId());
        LOG.debug("Dropped the cached copy of session {}: {}", session.getId(), why);
    }

    @Override
    public boolean holdsSessions() {
        return true;
    }

    @Override
    public SessionData copyOf(String id) {
        ManagedSession s = cache.doGet(id);
        return s == null ? null : s.getSessionData();
    }

    @Override
    public boolean inUse(String id) {
        ManagedSession s = cache.doGet(id);
        return s != null && s.getRequests() > 0;
    }

    @Override
    public void changed(String id) {
        ManagedSession s = cache.doGet(id);
        if (s != null) {
            dropIfIdle(s, "changed on another node");
        }
    }

    @Override
    public void ended(String id) {
        ManagedSession s = cache.doGet(id);
        if (s != null) {
            dropIfIdle(s, "ended in the grid");
        }
    }

    @Override
    public void endedElsewhere(String id) {
        ManagedSession s = cache.doGet(id);
        if (s != null) {
            drop(s, "its expiry was announced by another node");
        }
    }
}
