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
import org.apache.catalina.session.ManagerBase;
import org.apache.catalina.session.StandardSession;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.grid.GridException;
import org.sessiongrid.grid.SessionExistsException;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionOwners;
import org.sessiongrid.grid.SessionStore;
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

    /** Set while started; null while stopped, so that a reload does not keep the old webapp loader. */
    private volatile GridBinding bound;
    /** Kept after a stop: the logs and {@link #toString} name the context with it. */
    private volatile String namespace;
    private volatile long evictionSlackMillis;
    private volatile IdleCopies idleCopies = new IdleCopies(0);

    // The request path's jobs, one object each; they hold no state but the manager's (see each class).
    private final CopyLookup lookup = new CopyLookup(this, sessions);
    private final Commits commits = new Commits(this);
    private final RequestLocks locks = new RequestLocks(this);
    private final PrimaryRoutes routes = new PrimaryRoutes(this);
    private final GridEvents events = new GridEvents(this, sessions);

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
        ClassLoader webappLoader = context.getLoader().getClassLoader();
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
            throw new LifecycleException(where + " cannot join SessionGrid cluster '" + resolved.grid().clusterName()
                    + "': " + e.getMessage());
        } finally {
            current.setContextClassLoader(tccl);
        }
        SessionStore store = g.store(namespace);
        bound = new GridBinding(g, store, new AttributeCodec(resolved.policy()), webappLoader,
                resolved.lockingMode(), resolved.lockTimeout());
        store.setListener(events);
        SessionGridValve.register(context);
        LOG.info("SessionGrid sessions for {} on member {} of cluster '{}' ({} members, lockingMode={})", namespace,
                g.memberName(), resolved.grid().clusterName(), g.members().size(), resolved.lockingMode());
        setState(LifecycleState.STARTING);
    }

    @Override
    protected void stopInternal() throws LifecycleException {
        GridBinding b = bound;
        if (b != null) {
            // No listener: this member stops expiring the webapp's sessions (the grid may run on while it hands
            // its segments over), so they expire at a primary where the webapp still runs and its
            // sessionDestroyed listeners fire. Also leaves nothing of this webapp reachable from the shared grid.
            // Before STOPPING: removing waits for an expiry call in flight, which needs this manager available.
            b.store().setListener(null);
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
        if (b != null) {
            if (expired > 0) {
                LOG.info("Expired {} sessions of {} at shutdown (expireSessionsOnShutdown=true)", expired, namespace);
            }
            // The last webapp using the grid makes the member leave; leaving hands its segments over.
            Thread current = Thread.currentThread();
            ClassLoader tccl = current.getContextClassLoader();
            current.setContextClassLoader(SessionGridManager.class.getClassLoader());
            try {
                b.grid().release();
            } finally {
                current.setContextClassLoader(tccl);
            }
        }
        bound = null;
        super.stopInternal();
    }

    /** Sessions live in the grid, not in files: nothing to load. */
    @Override
    public void load() {
    }

    /** Sessions live in the grid, not in files: nothing to save (stop hands them over). */
    @Override
    public void unload() {
    }

    // ---- the request path's jobs and what they share -------------------------------------------

    /** What this manager works with while started, or null. */
    GridBinding bound() {
        return bound;
    }

    AttributeCodec codec() {
        GridBinding b = bound;
        return b == null ? null : b.codec();
    }

    ClassLoader webappLoader() {
        GridBinding b = bound;
        return b == null ? null : b.webappLoader();
    }

    String namespace() {
        return namespace;
    }

    Commits commits() {
        return commits;
    }

    RequestLocks locks() {
        return locks;
    }

    PrimaryRoutes routes() {
        return routes;
    }

    GridEvents events() {
        return events;
    }

    /** A session's grid key: its id without route. */
    static String key(String id) {
        return SessionStore.keyOf(id);
    }

    // ---- sessions (ManagerBase) -----------------------------------------------------------------

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
        GridBinding b = bound;
        return b == null ? super.generateSessionId() : b.store().newLocalId(super::generateSessionId);
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
        if (id != null && !overLimit) {
            try {
                created = lookup.createNamed(id, getContext().getSessionTimeout() * 60);
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
     * fetches only what changed ({@link CopyLookup}). Returns null if the session is gone everywhere.
     *
     * @throws GridException (unchecked) if the grid cannot answer within remoteTimeout: the request
     *         fails rather than silently starting a new, empty session for a user who has one
     */
    @Override
    public Session findSession(String id) throws IOException {
        return lookup.find(id);
    }

    /** The id moves in the grid first (login: session fixation protection, {@link Commits#changeId}), then here. */
    @Override
    protected void changeSessionId(Session session, String newId, boolean notifySessionListeners,
                                   boolean notifyContainerListeners) {
        GridSession s = (GridSession) session;
        synchronized (s.sync) {
            if (!commits.changeId(s, newId)) {
                return; // the id stays; nothing of this request is stored
            }
            super.changeSessionId(session, newId, notifySessionListeners, notifyContainerListeners);
        }
    }

    /**
     * Tomcat's background tick (every {@code backgroundProcessorDelay}, 10 s by default): drops the copies idle
     * for {@code copyIdleTimeout} ({@link IdleCopies}) on every tick, then what {@link ManagerBase} does
     * (expiry sweeps every {@code processExpiresFrequency} ticks). Local copies are a cache: a dropped copy's
     * session may be in use on another node, and is fetched again if so; expiry itself, with its listeners, is
     * the grid primary's.
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

    // ---- status (JMX attributes of the Manager MBean) ---------------------------------------------

    /** Members of the cluster view, coordinator first; empty while stopped. */
    public String getClusterMembers() {
        GridBinding b = bound;
        SessionGrid g = b == null ? null : b.grid();
        return g == null ? "" : String.join(",", g.members());
    }

    /** Id of the installed topology (0 while stopped). */
    public long getTopologyId() {
        GridBinding b = bound;
        SessionGrid g = b == null ? null : b.grid();
        return g == null ? 0 : g.topologyId();
    }

    /**
     * True when no rebalance is running and every member of the view owns its share: sessions are
     * where they will stay until the next membership change.
     */
    public boolean isTopologyStable() {
        GridBinding b = bound;
        SessionGrid g = b == null ? null : b.grid();
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
        GridBinding b = bound;
        SessionStore s = b == null ? null : b.store();
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
        GridBinding b = bound;
        return b == null ? null : b.grid();
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
        GridBinding b = bound;
        SessionStore s = b == null ? null : b.store();
        return s == null ? 0 : s.listSessions().size();
    }

    /** Ids of the live sessions of this webapp in the whole cluster, with the route of their primary. */
    @Override
    public Set<String> getSessionIdsFull() {
        GridBinding b = bound;
        SessionStore s = b == null ? null : b.store();
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
