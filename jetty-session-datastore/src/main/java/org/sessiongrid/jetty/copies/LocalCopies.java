package org.sessiongrid.jetty.copies;

import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.session.SessionData;

/**
 * This node's cached copies of one context's sessions, as the SessionGrid store sees them: the store
 * publishes what it learns from the grid (a session changed elsewhere, a session ended) and asks the
 * two things its expiry needs (is a copy cached, is a request using it). The context's session cache
 * answers: {@code SessionGridSessionCache} implements this itself; for Jetty's own
 * {@link DefaultSessionCache} {@link #of} adapts it ({@link CachedCopies}); caches that hold nothing
 * ({@code NullSessionCache}) get {@link #NONE}.
 *
 * <p>The events run on grid threads and the scavenger's; an implementation takes only a session's
 * short lock.
 */
public interface LocalCopies {

    /** A cache that holds no sessions: nothing to drop, nothing in use. */
    LocalCopies NONE = new LocalCopies() {
        @Override
        public boolean holdsSessions() {
            return false;
        }

        @Override
        public SessionData copyOf(String id) {
            return null;
        }

        @Override
        public boolean inUse(String id) {
            return false;
        }

        @Override
        public void changed(String id) {
        }

        @Override
        public void ended(String id) {
        }

        @Override
        public void endedElsewhere(String id) {
        }
    };

    /** The copies {@code cache} holds: itself if it answers for them, else an adapter or {@link #NONE}. */
    static LocalCopies of(SessionCache cache) {
        if (cache instanceof LocalCopies copies) {
            return copies;
        }
        return cache instanceof DefaultSessionCache c ? new CachedCopies(c) : NONE;
    }

    /** False for a cache that keeps no sessions between requests ({@code NullSessionCache}). */
    boolean holdsSessions();

    /** The session data of this node's cached copy of session {@code id}, or null. */
    SessionData copyOf(String id);

    /** True if a request on this node is using its copy of session {@code id}. */
    boolean inUse(String id);

    /**
     * Session {@code id} changed on another member after this node's copy (or another node manages it
     * now): the copy is dropped, without listeners, unless a request is using it.
     */
    void changed(String id);

    /** Session {@code id} ended in the grid: the copy is dropped, without listeners, unless a request is using it. */
    void ended(String id);

    /**
     * Session {@code id}'s expiry was announced by another node, which fires its listeners: the copy is
     * taken out even while a request uses it, so that Jetty's invalidation in progress here finds
     * nothing and fires nothing.
     */
    void endedElsewhere(String id);
}
