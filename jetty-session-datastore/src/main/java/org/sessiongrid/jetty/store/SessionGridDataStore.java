package org.sessiongrid.jetty.store;

import java.io.IOException;
import java.util.Objects;
import java.util.Set;

import org.eclipse.jetty.session.AbstractSessionDataStore;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionIdManager;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.session.UnwriteableSessionDataException;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionListener;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.copies.LocalCopies;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.jetty.request.HandlerPlacement;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.route.PrimaryRoutes;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty 12 {@code SessionDataStore} that keeps every session of one context on a primary and
 * backups of a SessionGrid cluster. One instance per context; every context of one server (and
 * every server of one JVM with the same {@code clusterName}) shares one JGroups channel.
 *
 * <p>The grid namespace is {@code vhost + "/" + canonicalContextPath}. Each attribute is serialized on
 * the calling thread under the webapp class loader, one by one, and only attributes whose bytes
 * differ from the record this node last saw travel ({@link AttributeDiff}); {@link RecordWriter}
 * writes them. Jetty's own metadata travels exactly in the record's container blob
 * ({@link JettyMetadata}). A store in which only the access time changed becomes a batched touch,
 * unless the copy that other nodes see would otherwise be older than half the session's timeout.
 *
 * <p>Like Jetty's stores, this one does not know the context's session cache: it tells this node's
 * cached copies what it learns from the grid (a session changed elsewhere, ended) through
 * {@link LocalCopies}, answers the cache's question whether a copy is still current
 * ({@link #isCurrent}), and takes a request's session lock when the cache asks ({@link #lockForRequest}).
 * Who ends an expired session and fires its listeners: {@link ExpiryClaims}.
 */
public class SessionGridDataStore extends AbstractSessionDataStore {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridDataStore.class);

    /** In the message of the failed first save of a new session whose id exists in the grid. */
    public static final String NEVER_OVERWRITES = "a new session never overwrites it";

    private final StoreSettings settings;
    private final SessionManager manager;
    private volatile GridConfig config;
    private volatile RecordReader reader;
    private volatile AttributeDiff diff;
    private volatile RecordWriter writer;
    private volatile ExpiryClaims expiry;
    private volatile RequestEnds ends;
    private volatile LocalCopies copies = LocalCopies.NONE;

    private volatile SessionGrid grid;
    private volatile SessionStore sessions;
    private volatile LockingMode lockingMode = LockingMode.NONE;
    private volatile long lockTimeout;
    private volatile boolean cacheTakesRequestLocks;

    /** What this store tells a SessionGridSessionIdManager about routes, while started. */
    private volatile PrimaryRoutes routes;

    /** Why SessionGridRequestHandler's place could not be checked at start, or null if it was. */
    private volatile String unverifiedPlacement;

    /**
     * @param settings the SessionGrid settings of the server (checked when the store starts, when
     *                 the context's worker name is known)
     * @param manager  the context's session manager, whose cached copies this store keeps coherent
     */
    public SessionGridDataStore(StoreSettings settings, SessionManager manager) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.manager = Objects.requireNonNull(manager, "manager");
    }

    /** The grid namespace of this context: {@code vhost/canonicalContextPath}. */
    public String namespace() {
        return _context.getVhost() + "/" + _context.getCanonicalContextPath();
    }

    /**
     * Called, before this store starts, by a session cache that takes each request's session lock
     * ({@link #lockForRequest}) before it loads the session: a lockingMode needs one.
     */
    public void cacheTakesRequestLocks() {
        cacheTakesRequestLocks = true;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        var resolved = settings.resolve(workerName(), System.getProperties());
        String what = "SessionGrid store of context " + namespace();
        StartChecks.requireSaveAtCommit(manager, what);
        unverifiedPlacement = StartChecks.requireRequestHandler(manager, what) ? null
                : HandlerPlacement.problem(HandlerPlacement.Verdict.NOT_IN_TREE, null, null, what);
        if (!resolved.lockingMode().isNone()) {
            StartChecks.requireLockingCache(manager, resolved.lockingMode(), cacheTakesRequestLocks);
        }
        lockingMode = resolved.lockingMode();
        lockTimeout = resolved.lockTimeout();
        config = resolved.grid();
        AttributeSerializer serializer = new AttributeSerializer(config.deserializationFilter());
        reader = new RecordReader(serializer, _context, this::newSessionData);
        copies = LocalCopies.of(manager.getSessionCache());
        SessionGrid g = SessionGrid.acquire(config);
        try {
            StartChecks.requireUniqueMember(g, config, workerName());
            sessions = storeOf(g.store(namespace()));
            diff = new AttributeDiff(serializer);
            writer = new RecordWriter(sessions, namespace(), _context, diff, lockingMode, config.remoteTimeout(),
                    this::getGracePeriodSec);
            expiry = new ExpiryClaims(g, sessions, namespace(), copies, reader, manager, _context, this::isStarted);
            ends = new RequestEnds(writer, diff, expiry);
            sessions.setListener(new SessionListener() {
                @Override
                public void expired(SessionRecord last) {
                    expiry.expiredByGrid(last);
                }

                @Override
                public boolean accepting() {
                    return isStarted() && manager.isStarted();
                }

                @Override
                public void changed(String id, long version) {
                    changedElsewhere(id, version);
                }
            });
            grid = g;
        } catch (RuntimeException e) {
            g.release();
            throw e;
        }
        SessionGridRequestHandler.store(1);
        if (!lockingMode.isNone()) {
            SessionGridRequestHandler.lockingStore(1);
        }
        routes = PrimaryRoutes.offer(manager.getSessionIdManager(), () -> isStarted() ? sessions : null,
                g.memberName(), workerName(), namespace());
        LOG.info("SessionGrid store for {} started on member {} of cluster {} ({} members)", namespace(),
                g.memberName(), config.clusterName(), g.members().size());
    }

    /** The grid store this store calls; a seam for tests that make the grid fail on purpose. */
    SessionStore storeOf(SessionStore gridStore) {
        return gridStore;
    }

    /**
     * Why {@link SessionGridRequestHandler}'s place in front of this context could not be checked at
     * start (the context was not in the server's handler tree then), or null if it was checked: every
     * request is then checked as it looks its session up.
     */
    public String unverifiedPlacement() {
        return unverifiedPlacement;
    }

    /**
     * Counts a session change made after its response was committed, saved at the end of the request
     * ({@code LateCommits} of the grid member).
     */
    public void lateCommit() {
        SessionGrid g = grid;
        if (g != null) {
            g.stats().lateCommit();
        }
    }

    /** The server's worker name now (the session context keeps the value it had when it was made). */
    private String workerName() {
        SessionIdManager ids = manager.getSessionIdManager();
        String w = ids == null ? null : ids.getWorkerName();
        return w != null ? w : _context.getWorkerName();
    }

    @Override
    protected void doStop() throws Exception {
        if (routes != null) {
            routes.withdraw(manager.getSessionIdManager());
            routes = null;
        }
        SessionGrid g = grid;
        grid = null;
        if (g != null) {
            sessions.setListener(null);
            g.release();
            SessionGridRequestHandler.store(-1);
            if (!lockingMode.isNone()) {
                SessionGridRequestHandler.lockingStore(-1);
            }
        }
        if (diff != null) {
            diff.clear();
        }
        if (expiry != null) {
            expiry.clear();
        }
        if (ends != null) {
            ends.clear();
        }
        super.doStop();
    }

    /** True: attributes are serialized, so Jetty fires the activation listeners around every save and load. */
    @Override
    public boolean isPassivating() {
        return true;
    }

    // ---------------------------------------------------------------- load

    @Override
    public SessionData doLoad(String id) throws Exception {
        SessionData last = expiry.lastContents(id);
        if (last != null) {
            return last;
        }
        SessionRecord r = sessions.find(id, null);
        if (r == null) {
            return null;
        }
        SessionData data = reader.read(id, r);
        diff.loaded(id, data, r);
        return data;
    }

    // ---------------------------------------------------------------- store

    @Override
    public void doStore(String id, SessionData data, long lastSaveTime) throws Exception {
        long now = System.currentTimeMillis();
        // Jetty never saved this session (a new one, or one whose first save failed): it must be
        // created, never written over a record that exists under its id (a session Jetty made
        // because the grid could not produce the user's must not replace the user's).
        boolean isNew = lastSaveTime <= 0;
        AttributeDiff.Seen before = isNew ? null : diff.seen(id, data);
        SessionRecord base = before != null ? before.record() : null;
        if (base == null && lastSaveTime > 0) {
            base = sessions.find(id, null);
        }
        AttributeDiff.Change change;
        try {
            change = diff.measure(data, before, base);
        } catch (IOException e) {
            throw new UnwriteableSessionDataException(id, _context, e);
        }
        JettyMetadata md = JettyMetadata.of(data, now);
        if (base != null && !change.attributesChanged()) {
            JettyMetadata baseMd = AttributeDiff.metaOf(base, before);
            if (writer.onlyAccessMoved(md, baseMd, base, now)) {
                // Only the access time moved: it reaches the primary batched (accessTimeGranularity)
                // instead of costing a synchronous write per request. Not even that when the record
                // already carries it: the end of a request whose changes were saved at its commit
                // (Jetty saves again when the request leaves the session, its expiry recomputed).
                if (data.getAccessed() > base.meta().lastAccessedTime()) {
                    sessions.touch(id, data.getAccessed());
                }
                diff.touched(id, data, base, baseMd, change, before);
                return;
            }
        }
        byte[] written = md.encode();
        SessionDelta.Builder delta = change.delta().containerData(written)
                .lastAccessedTime(now)
                .maxInactiveInterval(writer.gridMaxInactive(md.maxInactiveMs()));
        SessionRecord result = base != null ? writer.commit(id, data, delta, base, now)
                : isNew ? writer.createNew(id, data, delta) : writer.create(id, data, delta, now);
        if (result != null) {
            diff.saved(id, data, result, change, md, written);
        }
    }

    // ---------------------------------------------------------------- exists / delete

    @Override
    public boolean doExists(String id) throws Exception {
        SessionRecord r = sessions.find(id, null);
        if (r == null) {
            return false;
        }
        long expiry = JettyMetadata.expiryOf(r);
        return expiry <= 0 || expiry > System.currentTimeMillis();
    }

    /**
     * Invalidates the session in the whole cluster (idempotent); a tombstone refuses late write-backs.
     * For a session this node's scavenger claimed, announces its expiry instead ({@link ExpiryClaims}):
     * Jetty calls this from its invalidation right before it fires the listeners. A session a request
     * ended already ({@link #invalidateAsRead}) is not asked for again.
     */
    @Override
    public boolean delete(String id) throws Exception {
        if (ends.takeEnded(id)) {
            expiry.takeClaim(id);
            expiry.ended(id);
            return true;
        }
        if (expiry.takeClaim(id)) {
            return expiry.announce(id);
        }
        try {
            return writer.invalidate(id, null);
        } finally {
            expiry.ended(id);
        }
    }

    /**
     * A request's invalidation of session {@code id}, whose copy is {@code data}, before Jetty runs the
     * listeners ({@link RequestEnds#invalidate}).
     *
     * @return false if the grid holds nothing of this copy: {@link #delete} ends it as for any session
     * @throws org.sessiongrid.grid.SessionFencedException if the grid refused: the session lives on
     */
    public boolean invalidateAsRead(String id, SessionData data) throws InterruptedException {
        return ends.invalidate(id, data);
    }

    /**
     * Jetty's id change of session {@code oldId}, whose copy is {@code data} ({@link RequestEnds#changeId}).
     *
     * @return false if the grid holds nothing of this copy to move: its next save writes it under the new id
     * @throws org.sessiongrid.grid.SessionFencedException if the grid refused: nothing was moved
     */
    public boolean changeId(String oldId, String newId, SessionData data) {
        return ends.changeId(oldId, newId, data);
    }

    // ---------------------------------------------------------------- expiry

    @Override
    public Set<String> doCheckExpired(Set<String> candidates, long time) {
        return expiry.checkExpired(candidates, time, workerName());
    }

    /** See {@link ExpiryClaims#expiredAnywhere}. */
    @Override
    public Set<String> doGetExpired(long before) {
        return expiry.expiredAnywhere(before);
    }

    /** See {@link ExpiryClaims#cleanOrphans}. */
    @Override
    public void doCleanOrphans(long time) {
        expiry.cleanOrphans(time);
    }

    /** Drops this node's cached copy of a session without listeners, unless a request is using it (for tests). */
    void evictLocalCopy(String id) {
        copies.ended(id);
    }

    // ---------------------------------------------------------------- coherence

    /**
     * True if {@code data}, this node's copy of session {@code id}, is still what the cluster holds:
     * asked by the session cache at request start, so that a copy another node changed since is
     * reloaded instead of used. Asks the session's primary (from memory when that is this member). A
     * copy the store never saw (a new session) counts as current.
     */
    public boolean isCurrent(String id, SessionData data) {
        return diff.isCurrent(sessions, id, data);
    }

    /**
     * The grid says another member changed session {@code id} to {@code version}: this node's cached
     * copy is dropped now if it is older (and no request here is using it), instead of at its next
     * request's check. Runs on a grid thread.
     */
    private void changedElsewhere(String id, long version) {
        SessionData copy = isStarted() ? copies.copyOf(id) : null;
        if (copy != null && !diff.hasSeen(id, copy, version)) {
            copies.changed(id);
        }
    }

    // ---------------------------------------------------------------- locking

    /** This context's {@code lockingMode}. */
    public LockingMode lockingMode() {
        return lockingMode;
    }

    /** How long a request waits for its session's lock ({@code lockTimeout}, ms). */
    public long lockTimeout() {
        return lockTimeout;
    }

    /**
     * Takes session {@code id}'s cluster-wide lock for a request on this node; this store's saves of the
     * session commit under it until {@link #releaseRequestLock}. Waits at most {@code lockTimeout}.
     *
     * @throws org.sessiongrid.grid.SessionGoneException        if there is no session to lock
     * @throws org.sessiongrid.grid.SessionLockTimeoutException if it stayed locked for {@code lockTimeout}
     */
    public SessionLock lockForRequest(String id) {
        return writer.lock(id, lockTimeout);
    }

    /** Releases a lock {@link #lockForRequest} took, once the request's write-back is done. */
    public void releaseRequestLock(String id, SessionLock lock) {
        writer.unlock(id, lock);
    }

    /** The session lock a request on this node holds for session {@code id}, or null (for tests). */
    SessionLock heldLock(String id) {
        return writer.heldLock(id);
    }

    /** The grid member this store runs on, for status pages and tests. */
    public SessionGrid grid() {
        return grid;
    }

    @Override
    public String toString() {
        return String.format("%s@%x[namespace=%s,cluster=%s,passivating=true,graceSec=%d]",
                getClass().getSimpleName(), hashCode(), _context == null ? "?" : namespace(),
                config == null ? settings.get("clusterName") : config.clusterName(),
                getGracePeriodSec());
    }
}
