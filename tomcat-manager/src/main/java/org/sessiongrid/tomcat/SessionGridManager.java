package org.sessiongrid.tomcat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.catalina.Context;
import org.apache.catalina.DistributedManager;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Session;
import org.apache.catalina.connector.Request;
import org.apache.catalina.session.ManagerBase;
import org.apache.catalina.session.StandardSession;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.QuarantinedAttribute;
import org.sessiongrid.codec.UnreadableAttributeException;
import org.sessiongrid.grid.GridException;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionExistsException;
import org.sessiongrid.grid.SessionFencedException;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionOwners;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.grid.SessionListener;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.settings.MemberName;
import org.sessiongrid.settings.ResolvedSettings;
import org.sessiongrid.settings.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tomcat {@link org.apache.catalina.Manager} that keeps every session on a primary and two backups
 * of the farm (SessionGrid over JGroups), while the application keeps using Tomcat's ordinary
 * in-process sessions. Drop the jars into {@code $CATALINA_BASE/lib} and configure it in
 * {@code context.xml}:
 *
 * <pre>{@code
 * <Manager className="org.sessiongrid.tomcat.SessionGridManager" clusterName="shop" stack="tcp"/>
 * }</pre>
 *
 * <p>Every SessionGrid setting is an attribute of the same name ({@code clusterName}, {@code stack},
 * {@code numOwners}, {@code replicationMode}, {@code failureDetectionTimeout},
 * {@code partitionPolicy}, {@code deserializationFilter}, ...; see
 * {@link org.sessiongrid.grid.GridConfig#SETTINGS}), plus {@code lockingMode} (none | all |
 * uriPattern:REGEX), {@code lockTimeout} (ms) and {@code copyIdleTimeout} (ms, see {@link IdleCopies}). An attribute that is not set falls back to the
 * system property {@code sessiongrid.<name>}; {@code sessiongrid.*} attributes (bindAddress,
 * bindPort, initialHosts, ...) go to the JGroups stack. Values are checked when the context starts: a
 * wrong one stops the context with a message naming it. The inherited {@link ManagerBase}
 * attributes ({@code maxActiveSessions}, {@code processExpiresFrequency}, the attribute filters,
 * the secure random settings) keep their meaning.
 *
 * <p>All webapps of one Tomcat with the same {@code clusterName} share one JGroups channel; each is
 * its own namespace (host + context path). With an Engine {@code jvmRoute}, the member is named
 * after it, new session ids get a route naming this node (their primary), and the route is rewritten
 * when the primary changes so that a sticky balancer follows it.
 *
 * <p>{@link #getActiveSessions()} and {@link #findSessions()} are the copies this node holds in
 * memory; {@link #getActiveSessionsFull()} and {@link #getSessionIdsFull()} count the whole cluster.
 */
public class SessionGridManager extends ManagerBase implements DistributedManager {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridManager.class);
    private static final String NAME = "SessionGridManager";

    /** The {@code <Manager>} attributes, resolved by core's rules when the context starts. */
    private final Settings settings = new Settings("%1$s=\"...\" on the <Manager> element");
    private boolean expireSessionsOnShutdown;

    // Set while started; cleared on stop so that a reload does not keep the old webapp loader.
    private volatile SessionGrid grid;
    private volatile SessionStore store;
    private volatile AttributeCodec codec;
    private volatile ClassLoader webappLoader;
    private volatile LockingMode lockingMode = LockingMode.NONE;
    private volatile long lockTimeout;
    private volatile String namespace;
    private volatile long evictionSlackMillis;
    private volatile IdleCopies idleCopies = new IdleCopies(0);

    // ---- configuration (context.xml attributes) ------------------------------------------------

    /** Cluster name: the nodes of one farm use the same. Required. */
    public void setClusterName(String v) { settings.set("clusterName", v); }
    public String getClusterName() { return settings.get("clusterName"); }
    /** JGroups stack: udp, tcp, kubernetes, tls, a file or a URL. */
    public void setStack(String v) { settings.set("stack", v); }
    public String getStack() { return settings.get("stack"); }
    /** Member name; defaults to the Engine's jvmRoute (which it must equal when set). */
    public void setNodeName(String v) { settings.set("nodeName", v); }
    public String getNodeName() { return settings.get("nodeName"); }
    public void setSite(String v) { settings.set("site", v); }
    public String getSite() { return settings.get("site"); }
    public void setRack(String v) { settings.set("rack", v); }
    public String getRack() { return settings.get("rack"); }
    public void setMachine(String v) { settings.set("machine", v); }
    public String getMachine() { return settings.get("machine"); }
    /** Copies of each session (primary + backups); 3 by default. */
    public void setNumOwners(String v) { settings.set("numOwners", v); }
    public String getNumOwners() { return settings.get("numOwners"); }
    public void setNumSegments(String v) { settings.set("numSegments", v); }
    public String getNumSegments() { return settings.get("numSegments"); }
    /** sync (default: a request completes after primary and backups applied its changes) or async. */
    public void setReplicationMode(String v) { settings.set("replicationMode", v); }
    public String getReplicationMode() { return settings.get("replicationMode"); }
    public void setRemoteTimeout(String v) { settings.set("remoteTimeout", v); }
    public String getRemoteTimeout() { return settings.get("remoteTimeout"); }
    /** Milliseconds without an answer from a backup or a primary before it is suspected; 1000 by default. */
    public void setBackupTimeout(String v) { settings.set("backupTimeout", v); }
    public String getBackupTimeout() { return settings.get("backupTimeout"); }
    public void setFailureDetectionTimeout(String v) { settings.set("failureDetectionTimeout", v); }
    public String getFailureDetectionTimeout() { return settings.get("failureDetectionTimeout"); }
    public void setTombstoneTimeout(String v) { settings.set("tombstoneTimeout", v); }
    public String getTombstoneTimeout() { return settings.get("tombstoneTimeout"); }
    public void setJoinTimeout(String v) { settings.set("joinTimeout", v); }
    public String getJoinTimeout() { return settings.get("joinTimeout"); }
    public void setLeaveTimeout(String v) { settings.set("leaveTimeout", v); }
    public String getLeaveTimeout() { return settings.get("leaveTimeout"); }
    public void setMaxRecordBytes(String v) { settings.set("maxRecordBytes", v); }
    public String getMaxRecordBytes() { return settings.get("maxRecordBytes"); }
    public void setStateTransferChunkSize(String v) { settings.set("stateTransferChunkSize", v); }
    public String getStateTransferChunkSize() { return settings.get("stateTransferChunkSize"); }
    public void setMaxHandlerThreads(String v) { settings.set("maxHandlerThreads", v); }
    public String getMaxHandlerThreads() { return settings.get("maxHandlerThreads"); }
    /** serve-both-sides (default) or minority-refuses-writes. */
    public void setPartitionPolicy(String v) { settings.set("partitionPolicy", v); }
    public String getPartitionPolicy() { return settings.get("partitionPolicy"); }
    /** Allow/deny patterns and limits for deserializing attributes (ObjectInputFilter syntax). */
    public void setDeserializationFilter(String v) { settings.set("deserializationFilter", v); }
    public String getDeserializationFilter() { return settings.get("deserializationFilter"); }
    public void setAccessTimeGranularity(String v) { settings.set("accessTimeGranularity", v); }
    public String getAccessTimeGranularity() { return settings.get("accessTimeGranularity"); }
    /** none (default), all, or uriPattern:REGEX (URI without the context path). */
    public void setLockingMode(String v) { settings.set(Settings.LOCKING_MODE, v); }
    public String getLockingMode() { return settings.get(Settings.LOCKING_MODE); }
    /** Milliseconds a request waits for its session's lock before it is answered 503. */
    public void setLockTimeout(String v) { settings.set(Settings.LOCK_TIMEOUT, v); }
    public String getLockTimeout() { return settings.get(Settings.LOCK_TIMEOUT); }

    public void setCopyIdleTimeout(String v) { settings.set(Settings.COPY_IDLE_TIMEOUT, v); }
    public String getCopyIdleTimeout() { return settings.get(Settings.COPY_IDLE_TIMEOUT); }

    /**
     * false (default): on stop this node hands its share of the sessions to the others and they live
     * on (rolling restart). true: the sessions this node holds in memory are expired (listeners fire)
     * and invalidated in the whole cluster.
     */
    public void setExpireSessionsOnShutdown(boolean v) { this.expireSessionsOnShutdown = v; }
    public boolean getExpireSessionsOnShutdown() { return expireSessionsOnShutdown; }

    /**
     * Tomcat's digester calls this for attributes without a setter: {@code sessiongrid.*} names are
     * JGroups stack properties (e.g. {@code sessiongrid.initialHosts}); anything else is recorded and
     * reported as unknown when the context starts.
     */
    public boolean setProperty(String name, String value) {
        settings.set(name, value);
        return true;
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    protected void startInternal() throws LifecycleException {
        super.startInternal();
        Context context = getContext();
        String where = "SessionGridManager of context [" + context.getName() + "]";
        ResolvedSettings resolved;
        try {
            // The jvmRoute is the member's name: a session id's route suffix then names its primary.
            resolved = settings.resolve(MemberName.required(getJvmRoute(), "the Engine's jvmRoute"),
                    System.getProperties());
        } catch (IllegalArgumentException e) {
            throw new LifecycleException(where + " cannot start: " + e.getMessage());
        }
        try {
            CommitGate.checkSupported();
        } catch (IllegalStateException e) {
            throw new LifecycleException(where + " cannot start: " + e.getMessage());
        }
        namespace = context.getParent().getName() + (context.getPath().isEmpty() ? "/" : context.getPath());
        webappLoader = context.getLoader().getClassLoader();
        codec = new AttributeCodec(resolved.policy());
        lockingMode = resolved.lockingMode();
        lockTimeout = resolved.lockTimeout();
        evictionSlackMillis = 2 * resolved.grid().accessTimeGranularity() + 5_000;
        idleCopies = new IdleCopies(resolved.copyIdleTimeout());
        SessionGrid g;
        // The grid outlives this webapp (shared by every webapp of the cluster, kept across reloads):
        // its threads must not inherit the webapp class loader, or a reload would leak it.
        Thread current = Thread.currentThread();
        ClassLoader tccl = current.getContextClassLoader();
        current.setContextClassLoader(SessionGridManager.class.getClassLoader());
        try {
            g = SessionGrid.acquire(resolved.grid());
        } catch (GridException | IllegalStateException e) {
            clearRuntime();
            throw new LifecycleException(where + " cannot join SessionGrid cluster '" + resolved.grid().clusterName()
                    + "': " + e.getMessage());
        } finally {
            current.setContextClassLoader(tccl);
        }
        grid = g;
        store = g.store(namespace);
        store.setListener(new SessionListener() {
            @Override
            public void expired(SessionRecord last) {
                expiredInGrid(last);
            }

            @Override
            public boolean accepting() {
                return codec != null && getState().isAvailable();
            }

            @Override
            public boolean takesChanges() {
                // findSession checks each copy against the primary at every request, and IdleCopies frees
                // idle ones: a notice would change nothing here but cost a message and its acknowledgement.
                return false;
            }
        });
        SessionGridValve.register(context);
        LOG.info("SessionGrid sessions for {} on member {} of cluster '{}' ({} members, lockingMode={})", namespace,
                g.memberName(), resolved.grid().clusterName(), g.members().size(), lockingMode);
        setState(LifecycleState.STARTING);
    }

    @Override
    protected void stopInternal() throws LifecycleException {
        SessionStore s = store;
        if (s != null) {
            // No listener: this member stops expiring the webapp's sessions (the grid may run on while it hands
            // its segments over), so they expire at a primary where the webapp still runs and its
            // sessionDestroyed listeners fire. Also leaves nothing of this webapp reachable from the shared grid.
            // Before STOPPING: removing waits for an expiry call in flight, which needs this manager available.
            s.setListener(null);
        }
        setState(LifecycleState.STOPPING);
        Context context = getContext();
        SessionGridValve.unregister(context);
        int expired = 0;
        for (Session session : findSessions()) {
            GridSession gs = (GridSession) session;
            if (expireSessionsOnShutdown) {
                try {
                    gs.expire(true);
                    expired++;
                } catch (RuntimeException e) {
                    LOG.warn("Could not expire session {} of {} at shutdown: {}", gs.getIdInternal(), namespace,
                            e.toString());
                }
            } else {
                gs.discard();
            }
        }
        sessions.clear();
        SessionGrid g = grid;
        if (g != null) {
            if (expired > 0) {
                LOG.info("Expired {} sessions of {} at shutdown (expireSessionsOnShutdown=true)", expired, namespace);
            }
            // The last webapp using the grid makes the member leave; leaving hands its segments over.
            Thread current = Thread.currentThread();
            ClassLoader tccl = current.getContextClassLoader();
            current.setContextClassLoader(SessionGridManager.class.getClassLoader());
            try {
                g.release();
            } finally {
                current.setContextClassLoader(tccl);
            }
        }
        clearRuntime();
        super.stopInternal();
    }

    private void clearRuntime() {
        grid = null;
        store = null;
        codec = null;
        webappLoader = null;
    }

    /** Sessions live in the grid, not in files: nothing to load. */
    @Override
    public void load() {
    }

    /** Sessions live in the grid, not in files: nothing to save (stop hands them over). */
    @Override
    public void unload() {
    }

    // ---- sessions -------------------------------------------------------------------------------

    AttributeCodec codec() {
        return codec;
    }

    String namespace() {
        return namespace;
    }

    static String key(String id) {
        return SessionStore.keyOf(id);
    }

    @Override
    protected StandardSession getNewSession() {
        return new GridSession(this);
    }

    /** Copies are kept by id without route, so a rewritten route still finds the same copy. */
    @Override
    public void add(Session session) {
        sessions.put(key(session.getIdInternal()), session);
        int size = getActiveSessions();
        if (size > getMaxActive()) {
            setMaxActive(size); // a peak statistic: a lost race under-reports it by one at most
        }
    }

    @Override
    public void remove(Session session, boolean update) {
        String id = session.getIdInternal();
        if (id == null) {
            return;
        }
        if (update) {
            super.remove(session, true); // statistics (expired count, alive times)
        }
        sessions.remove(key(id), session);
    }

    /**
     * New session ids land on a segment this node is primary of, so a sticky user is served from
     * memory without any network call.
     */
    @Override
    protected String generateSessionId() {
        SessionStore s = store;
        return s == null ? super.generateSessionId() : s.newLocalId(super::generateSessionId);
    }

    /**
     * A session the client named (a cookie with path "/" shared across webapps) is stored in the grid
     * at once, so an id that is taken or recently invalidated is replaced by a fresh one instead of
     * failing at the end of the request.
     */
    @Override
    public Session createSession(String sessionId) {
        SessionRecord created = null;
        String id = sessionId;
        boolean overLimit = getMaxActiveSessions() >= 0 && getActiveSessions() >= getMaxActiveSessions();
        if (id != null && store != null && !overLimit) {
            try {
                created = store.create(id, SessionDelta.builder()
                        .maxInactiveInterval(getContext().getSessionTimeout() * 60).build());
            } catch (SessionExistsException e) {
                id = null;
            }
        }
        GridSession s = (GridSession) super.createSession(id); // maxActiveSessions: TooManyActiveSessionsException
        if (created != null) {
            synchronized (s.sync) {
                s.moved(created);
            }
        }
        RequestScope scope = RequestScope.current();
        if (scope != null) {
            scope.add(s);
        }
        return s;
    }

    /**
     * The node's copy, validated against the grid: a local primary answers from memory, any other node
     * asks the primary whether its version is current (one small round trip, once per request) and
     * fetches only what changed. Returns null if the session is gone everywhere.
     *
     * @throws GridException (unchecked) if the grid cannot answer within remoteTimeout: the request
     *         fails rather than silently starting a new, empty session for a user who has one
     */
    @Override
    public Session findSession(String id) throws IOException {
        SessionStore s = store;
        if (id == null || s == null) {
            return null;
        }
        RequestScope scope = RequestScope.current();
        GridSession used = scope == null ? null : scope.usedWithId(id, this);
        if (used != null && !used.dropped() && sessions.get(used.key()) == used) {
            // Already validated in this request (Tomcat's own look-up after the valve's).
            return used.isValid() ? used : null;
        }
        String key = key(id);
        GridSession local = (GridSession) sessions.get(key);
        if (local != null && (local.record() == null || (scope != null && scope.contains(local)))) {
            // A new session not stored yet (its first request is still running), or already
            // validated in this request.
            return local.isValid() ? local : null;
        }
        return refresh(s, key, id, local, scope);
    }

    /**
     * The copy of {@code key} brought up to date, or a new one decoded from the grid's record; joined to
     * {@code scope} (if any) under the copy's lock, so that {@link IdleCopies} never drops a copy a request took.
     */
    private GridSession refresh(SessionStore s, String key, String id, GridSession local, RequestScope scope) {
        if (local != null && local.changedBefore(topologyId())) {
            // Changes made on what this copy read under an older topology (by a request still running, which
            // started before this member was paused and rejoined, say), or still to be made by a request
            // that read it then, must not ride on a record refreshed under this one: the copy stays with the
            // requests holding it, whose commit (or invalidation, or id change) names the version they read
            // (and is fenced if it would overwrite what the cluster stored since), and this request gets a
            // copy of its own.
            sessions.remove(key, local);
            LOG.debug("Session {} in {}: a request using the copy read under topology {} still runs; this"
                    + " request under topology {} reads a copy of its own", key, namespace, local.agreedTopology(),
                    topologyId());
            local = null;
        }
        if (local != null) {
            synchronized (local.sync) {
                if (sessions.get(key) == local) {
                    long topology = topologyId();
                    SessionRecord current = s.find(key, local.record());
                    if (current == null) {
                        local.discard();
                        return null;
                    }
                    local.refreshTo(current, codec, webappLoader);
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
        long topology = topologyId();
        SessionRecord current = s.find(key, null);
        if (current == null) {
            return null;
        }
        GridSession copy = (GridSession) createEmptySession();
        copy.load(current, id, codec, webappLoader);
        copy.agreedUnder(topology);
        Session raced;
        synchronized (copy.sync) {
            raced = sessions.putIfAbsent(key, copy);
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
            return refresh(s, key, id, (GridSession) raced, scope);
        }
        add(copy); // statistics
        return copy;
    }

    /** The id moves in the grid first (login: session fixation protection), then here. */
    @Override
    protected void changeSessionId(Session session, String newId, boolean notifySessionListeners,
                                   boolean notifyContainerListeners) {
        GridSession s = (GridSession) session;
        synchronized (s.sync) {
            // Only the route differs (e.g. a route-rewriting valve): same session in the grid.
            boolean sameKey = key(s.getIdInternal()).equals(key(newId));
            if (s.record() != null && store != null && !sameKey) {
                try {
                    // Under the base the request read: the copy it goes on with is the moved record.
                    s.moved(store.changeId(s.getIdInternal(), newId, s.record()));
                } catch (SessionFencedException e) {
                    refusedAsZombie(s, "id change", e);
                    return; // the id stays; nothing of this request is stored
                }
            }
            super.changeSessionId(session, newId, notifySessionListeners, notifyContainerListeners);
        }
    }

    /**
     * Called by {@link GridSession#expire} for an application {@code invalidate()} or a JMX expire.
     *
     * @return false if the grid refused it because the request read the session before a failover this node
     *         did not see and the user went on using it elsewhere: the copy is discarded without listeners (the
     *         session did not end) and the request is answered 503
     */
    boolean invalidateInGrid(GridSession s) {
        SessionStore st = store;
        synchronized (s.sync) {
            if (s.record() != null && st != null) {
                try {
                    st.invalidate(s.getIdInternal(), s.record());
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
                namespace, e.getMessage());
        scope.refuseAtCommitPoint();
    }

    /**
     * Grid thread, on the session's primary, once in the cluster: fire Tomcat's expiry (sessionDestroyed,
     * unbound events) with the last attribute values.
     */
    private void expiredInGrid(SessionRecord last) {
        AttributeCodec c = codec;
        ClassLoader loader = webappLoader;
        if (c == null || !getState().isAvailable()) {
            LOG.warn("Session {} expired while {} is not running here: its sessionDestroyed listeners do not fire",
                    last.key().id(), namespace);
            return;
        }
        String key = last.key().id();
        GridSession s = (GridSession) sessions.get(key);
        if (s != null) {
            synchronized (s.sync) {
                s.refreshTo(last, c, loader);
            }
        } else {
            s = (GridSession) createEmptySession();
            String jvmRoute = getJvmRoute();
            s.load(last, jvmRoute == null || jvmRoute.isEmpty() ? key : key + "." + jvmRoute, c, loader);
        }
        LOG.debug("Session {} of {} expired", key, namespace);
        s.expireFromGrid();
    }

    void quarantined(String sessionId, UnreadableAttributeException e) {
        QuarantinedAttribute q = QuarantinedAttribute.of(namespace, String.valueOf(sessionId), e);
        SessionGrid g = grid;
        if (g != null) {
            g.stats().quarantined();
        }
        LOG.warn("Session attribute '{}' of session {} in {} is left out on this node ({}): {}", q.attribute(),
                q.sessionId(), q.namespace(), q.reason(), q.message());
    }

    /**
     * Local copies are a cache: a copy no request here used for longer than its timeout is dropped
     * silently (the session may be in use on another node; if so, it is fetched again). Expiry itself,
     * with its listeners, is the grid primary's.
     */
    /**
     * Tomcat's background tick (every {@code backgroundProcessorDelay}, 10 s by default): drops the copies idle
     * for {@code copyIdleTimeout} ({@link IdleCopies}) on every tick, then what {@link ManagerBase} does
     * (expiry sweeps every {@code processExpiresFrequency} ticks).
     */
    @Override
    public void backgroundProcess() {
        if (getState().isAvailable()) {
            int dropped = idleCopies.drop(sessions, SessionGridManager::key, System.currentTimeMillis());
            if (dropped > 0) {
                LOG.debug("Dropped {} idle session copies of {} (copyIdleTimeout): their records stay in the grid",
                        dropped, namespace);
            }
        }
        super.backgroundProcess();
    }

    @Override
    public void processExpires() {
        long now = System.currentTimeMillis();
        for (Session s : findSessions()) {
            GridSession gs = (GridSession) s;
            if (gs.idleLongerThanTimeout(now, evictionSlackMillis)) {
                sessions.remove(key(gs.getIdInternal()), gs);
            }
        }
    }

    // ---- request boundaries (called by SessionGridValve) ------------------------------------------

    /** Takes the session lock when lockingMode applies to this request. */
    void beginRequest(Request request, RequestScope scope) {
        String id = request.getRequestedSessionId();
        SessionStore s = store;
        if (id == null || s == null || lockingMode.isNone()) {
            return;
        }
        String uri = request.getDecodedRequestURI();
        String path = request.getContextPath();
        String relative = uri != null && path != null && uri.startsWith(path) ? uri.substring(path.length()) : uri;
        if (!lockingMode.appliesTo(relative)) {
            return;
        }
        try {
            scope.lock = s.lock(id, lockTimeout);
            scope.lockedKey = key(id);
            scope.lockManager = this;
        } catch (SessionGoneException e) {
            // No such session: nothing to lock; the request will start a new one.
        }
    }

    /**
     * Whether this request's changes reach the grid the way {@code lockingMode} and the request's
     * session lock say: the lock this scope holds for {@code s}, if any.
     */
    SessionLock lockFor(RequestScope scope, GridSession s) {
        return scope.lockManager == this && key(s.getIdInternal()).equals(scope.lockedKey) ? scope.lock : null;
    }

    /**
     * With a jvmRoute, the id's route names the session's current primary, so a sticky balancer
     * follows it: whenever the id the client sent (or this copy's id) names another member, the copy
     * takes the corrected id and the response sets the corrected cookie. Runs when the request's
     * session is loaded, so the application's {@code getId()} and {@code encodeURL} already show the
     * corrected id, and again at the commit point in case the primary moved meanwhile. The owners are
     * looked up once per topology and id of the copy, not per request: they change only with the topology.
     */
    void correctRoute(Request request, GridSession s) {
        String jvmRoute = getJvmRoute();
        SessionStore st = store;
        if (jvmRoute == null || jvmRoute.isEmpty() || st == null || request.getResponse().isCommitted()) {
            return;
        }
        // Read before the owners: a topology installed in between makes the next request look again.
        long topology = topologyId();
        String routed = s.routeCheckedUnder(topology);
        if (routed == null) {
            String id = s.getIdInternal();
            String primary = st.owners(id).primary();
            if (primary == null) {
                return;
            }
            routed = key(id) + "." + primary;
            if (!routed.equals(id)) {
                synchronized (s.sync) {
                    // The grid key is the id without route: only the local copy and the cookie change.
                    s.setId(routed, false);
                }
                LOG.debug("Session {} now routes to its primary {}", routed, primary);
            }
            s.routeChecked(topology);
        }
        String requested = request.getRequestedSessionId();
        if (requested != null && !requested.equals(routed) && key(requested).equals(key(routed))) {
            request.changeSessionId(routed);
        }
    }

    /** Outside any request (Accessor, async completion on another thread): commit right away. */
    void commitOutsideRequest(GridSession s) {
        if (store == null) {
            return;
        }
        try {
            commit(s, null, CommitKind.WHOLE);
        } catch (GridException e) {
            LOG.warn("Changes of session {} in {} were not saved: {}", s.getIdInternal(), namespace, e.getMessage());
        }
    }

    /** Where a commit stands in its request. */
    enum CommitKind {
        /** The request's only commit (its response is still open), or a commit outside any request. */
        WHOLE,
        /**
         * At the response's commit point while the application still runs: the mutable attributes
         * read so far are compared again at the request's end, since they may still change in place.
         */
        BEFORE_RESPONSE,
        /** At the end of a request whose commit point has passed: only real changes are sent. */
        LATE
    }

    /**
     * Sends the session's changes since its last commit: nothing but a batched access-time update if
     * nothing changed (nothing at all for a {@link CommitKind#LATE} commit); otherwise only the
     * attributes that were set, removed or changed in place.
     *
     * @return true if changes other than the access time were stored
     */
    boolean commit(GridSession s, SessionLock lock, CommitKind kind) {
        SessionStore st = store;
        AttributeCodec c = codec;
        if (st == null || c == null) {
            return false;
        }
        synchronized (s.sync) {
            if (!s.isValid() || s.dropped()) {
                return false;
            }
            if (s.unchangedSinceCommit()) {
                // A read-only request: nothing to take, encode or compare, only the access time to pass on.
                touchIfNews(st, s, s.accessTime(), kind);
                return false;
            }
            GridSession.Pending p = s.takeChanges(c);
            String id = s.getIdInternal();
            try {
                long topology = topologyId();
                SessionRecord base = s.record();
                boolean changed = base == null || !p.delta().isAccessOnly();
                if (base == null) {
                    s.committed(p, st.create(id, p.delta()), c, webappLoader);
                    s.agreedUnder(topology);
                } else if (!changed) {
                    touchIfNews(st, s, p.delta().lastAccessedTime(), kind);
                    s.committed(p, null, c, webappLoader);
                } else {
                    s.committed(p, st.commit(id, p.delta(), base, lock), c, webappLoader);
                    s.agreedUnder(topology);
                }
                if (kind == CommitKind.BEFORE_RESPONSE) {
                    s.compareAgainLater(p);
                }
                return changed;
            } catch (SessionGoneException e) {
                LOG.info("Changes of session {} in {} were dropped: the session was {} on another node", id, namespace,
                        e.invalidated() ? "invalidated" : "expired");
                s.discard();
                return false;
            } catch (SessionExistsException e) {
                // Only a freshly minted id can collide, with odds of 2^-128: report it, do not hide it.
                LOG.warn("New session {} in {} could not be stored: the id is already taken", id, namespace);
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
    private void touchIfNews(SessionStore st, GridSession s, long accessed, CommitKind kind) {
        if (kind != CommitKind.LATE && s.accessNewerThanStored(accessed, accessTimeGranularity())) {
            st.touch(s.getIdInternal(), accessed);
            s.noteStoredAccessTime(accessed);
        }
    }

    /** The topology installed on this member (0 while stopped). */
    private long topologyId() {
        SessionGrid g = grid;
        return g == null ? 0 : g.topologyId();
    }

    /** The grid's accessTimeGranularity: how late access times may reach a session's primary. */
    private long accessTimeGranularity() {
        SessionGrid g = grid;
        return g == null ? 0 : g.config().accessTimeGranularity();
    }

    ClassLoader webappLoader() {
        return webappLoader;
    }

    // ---- status (JMX attributes of the Manager MBean) ---------------------------------------------

    /** Members of the cluster view, coordinator first; empty while stopped. */
    public String getClusterMembers() {
        SessionGrid g = grid;
        return g == null ? "" : String.join(",", g.members());
    }

    /** Id of the installed topology (0 while stopped). */
    public long getTopologyId() {
        SessionGrid g = grid;
        return g == null ? 0 : g.topologyId();
    }

    /**
     * True when no rebalance is running and every member of the view owns its share: sessions are
     * where they will stay until the next membership change.
     */
    public boolean isTopologyStable() {
        SessionGrid g = grid;
        return g != null && g.isStable();
    }

    /**
     * Where a session of this webapp lives under the installed topology: its owners' member names,
     * primary first ({@code "n1,n2,n3"}). An operation of the Manager MBean (Tomcat describes this
     * manager by introspection), so a JMX console or a webapp without SessionGrid classes can show it.
     * The session need not exist: the answer is where a session with this id lives or would live.
     *
     * @param sessionId the session id, with or without its route suffix ({@code ".node1"})
     * @return "primary,backup1,backup2"; empty while the manager is stopped or before the grid has
     *         installed its first topology
     * @throws IllegalArgumentException if {@code sessionId} is null or blank
     */
    public String getSessionOwners(String sessionId) {
        if (sessionId == null || sessionId.isBlank()) {
            throw new IllegalArgumentException("getSessionOwners needs a session id, got '" + sessionId + "'");
        }
        SessionStore s = store;
        if (s == null) {
            return "";
        }
        SessionOwners o = s.owners(sessionId);
        if (o.primary() == null) {
            return "";
        }
        List<String> owners = new ArrayList<>(o.backups().size() + 1);
        owners.add(o.primary());
        owners.addAll(o.backups());
        return String.join(",", owners);
    }

    /**
     * The grid member this webapp's sessions live on, for status pages and tools in the same JVM
     * ({@link SessionGrid#metrics()}, {@link SessionGrid#topology()}, ...). It is shared with the
     * other SessionGrid webapps of this cluster in the JVM and belongs to the managers: callers
     * must not release or stop it. Not a JMX attribute (its type is not one JMX can carry).
     *
     * @return the grid while the manager is started, else null
     */
    public SessionGrid getGrid() {
        return grid;
    }

    // ---- DistributedManager -----------------------------------------------------------------------

    /**
     * Live sessions of this webapp in the whole cluster (the Manager webapp's count, and what
     * parallel deployment waits for before it undeploys an old version). Asks every member.
     *
     * @throws GridException if the cluster does not answer: better no figure than a wrong zero, which
     *         would let Tomcat undeploy a version that still has users
     */
    @Override
    public int getActiveSessionsFull() {
        SessionStore s = store;
        return s == null ? 0 : s.listSessions().size();
    }

    /** Ids of the live sessions of this webapp in the whole cluster, with the route of their primary. */
    @Override
    public Set<String> getSessionIdsFull() {
        SessionStore s = store;
        Set<String> ids = new HashSet<>();
        if (s == null) {
            return ids;
        }
        String jvmRoute = getJvmRoute();
        for (SessionRecord r : s.listSessions()) {
            String id = r.key().id();
            String primary = jvmRoute == null || jvmRoute.isEmpty() ? null : s.owners(id).primary();
            ids.add(primary == null ? id : id + "." + primary);
        }
        return ids;
    }

    @Override
    public String toString() {
        return NAME + "[" + (namespace == null ? String.valueOf(getContext()) : namespace) + "]";
    }
}
