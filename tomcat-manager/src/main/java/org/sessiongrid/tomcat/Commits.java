package org.sessiongrid.tomcat;

import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.grid.GridException;
import org.sessiongrid.grid.SessionExistsException;
import org.sessiongrid.grid.SessionFencedException;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a copy's changes become in the grid: a commit (the request's changes since the last one, or only its
 * access time), an invalidation and an id change, each under the base the request read, so that the grid's
 * fence refuses one made on a copy read before a failover this node did not see
 * ({@link SessionFencedException}): the copy then leaves this node and the request is answered 503.
 *
 * <p>Holds no state of its own: each call works on one copy under the copy's lock ({@link GridSession#sync},
 * held across the grid call) and on the manager's {@link GridBinding} as read once at its start.
 */
final class Commits {

    /** The manager's: operators read one logger for what this adapter does with a context's sessions. */
    private static final Logger LOG = LoggerFactory.getLogger(SessionGridManager.class);

    private final SessionGridManager manager;

    Commits(SessionGridManager manager) {
        this.manager = manager;
    }

    /** Outside any request (Accessor, async completion on another thread): commit right away. */
    void commitOutsideRequest(GridSession s) {
        if (manager.bound() == null) {
            return;
        }
        try {
            commit(s, null, CommitStage.WHOLE);
        } catch (GridException e) {
            LOG.warn("Changes of session {} in {} were not saved: {}", s.getIdInternal(), manager.namespace(),
                    e.getMessage());
        }
    }

    /**
     * Sends the session's changes since its last commit: nothing but a batched access-time update if
     * nothing changed (nothing at all for a {@link CommitStage#LATE} commit); otherwise only the
     * attributes that were set, removed or changed in place.
     *
     * @return true if changes other than the access time were stored
     */
    boolean commit(GridSession s, SessionLock lock, CommitStage kind) {
        GridBinding b = manager.bound();
        if (b == null) {
            return false;
        }
        SessionStore st = b.store();
        AttributeCodec c = b.codec();
        synchronized (s.sync) {
            if (!s.isValid() || s.dropped()) {
                return false;
            }
            if (s.unchangedSinceCommit()) {
                // A read-only request: nothing to take, encode or compare, only the access time to pass on.
                touchIfNews(b, s, s.accessTime(), kind);
                return false;
            }
            GridSession.Pending p = s.takeChanges(c);
            String id = s.getIdInternal();
            try {
                long topology = b.topologyId();
                SessionRecord base = s.record();
                boolean changed = base == null || !p.delta().isAccessOnly();
                if (base == null) {
                    s.committed(p, st.create(id, p.delta()), c, b.webappLoader());
                    s.agreedUnder(topology);
                } else if (!changed) {
                    touchIfNews(b, s, p.delta().lastAccessedTime(), kind);
                    s.committed(p, null, c, b.webappLoader());
                } else {
                    s.committed(p, st.commit(id, p.delta(), base, lock), c, b.webappLoader());
                    s.agreedUnder(topology);
                }
                if (kind == CommitStage.BEFORE_RESPONSE) {
                    s.compareAgainLater(p);
                }
                return changed;
            } catch (SessionGoneException e) {
                LOG.info("Changes of session {} in {} were dropped: the session was {} on another node", id,
                        manager.namespace(), e.invalidated() ? "invalidated" : "expired");
                s.discard();
                return false;
            } catch (SessionExistsException e) {
                // Only a freshly minted id can collide, with odds of 2^-128: report it, do not hide it.
                LOG.warn("New session {} in {} could not be stored: the id is already taken", id, manager.namespace());
                s.discard();
                return false;
            } catch (RuntimeException e) {
                s.forgetAfterFailedSave();
                throw e;
            }
        }
    }

    /**
     * Passes the access time of a commit without other changes to the grid's batched access times, unless it is no
     * news: the end of a request whose commit already carried its access time (Tomcat's endAccess after the
     * response), see {@link GridSession#accessNewerThanStored}.
     */
    private static void touchIfNews(GridBinding b, GridSession s, long accessed, CommitStage kind) {
        if (kind != CommitStage.LATE && s.accessNewerThanStored(accessed, b.accessTimeGranularity())) {
            b.store().touch(s.getIdInternal(), accessed);
            s.noteStoredAccessTime(accessed);
        }
    }

    /**
     * Called by {@link GridSession#expire} for an application {@code invalidate()} or a JMX expire.
     *
     * @return false if the grid refused it because the request read the session before a failover this node
     *         did not see and the user went on using it elsewhere: the copy is discarded without listeners (the
     *         session did not end) and the request is answered 503
     */
    boolean invalidate(GridSession s) {
        GridBinding b = manager.bound();
        synchronized (s.sync) {
            if (s.record() != null && b != null) {
                try {
                    b.store().invalidate(s.getIdInternal(), s.record());
                } catch (SessionFencedException e) {
                    refusedAsZombie(s, "invalidation", e);
                    s.discard();
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Moves {@code s} to {@code newId} in the grid (login: session fixation protection), under the base the request
     * read; the caller holds the copy's lock and changes the id here after it.
     *
     * @return false if the grid refused the move (see {@link #refusedAsZombie}): the id stays and nothing of this
     *         request is stored
     */
    boolean changeId(GridSession s, String newId) {
        GridBinding b = manager.bound();
        // Only the route differs (e.g. a route-rewriting valve): same session in the grid.
        boolean sameKey = SessionGridManager.key(s.getIdInternal()).equals(SessionGridManager.key(newId));
        if (s.record() != null && b != null && !sameKey) {
            try {
                // Under the base the request read: the copy it goes on with is the moved record.
                s.moved(b.store().changeId(s.getIdInternal(), newId, s.record()));
            } catch (SessionFencedException e) {
                refusedAsZombie(s, "id change", e);
                return false;
            }
        }
        return true;
    }

    /**
     * The grid refused a change the request made to {@code s} before its commit point (see
     * {@link SessionFencedException}): as for a refused commit, the copy leaves this node and the client gets
     * a 503. Outside a request (a JMX expire, an Accessor) the caller gets the exception.
     */
    private void refusedAsZombie(GridSession s, String what, SessionFencedException e) {
        s.forgetAfterFailedSave();
        RequestScope scope = RequestScope.current();
        if (scope == null) {
            throw e;
        }
        LOG.warn("The {} of session {} in {} was not saved, the client gets a 503: {}", what, s.getIdInternal(),
                manager.namespace(), e.getMessage());
        scope.refuseAtCommitPoint();
    }
}
