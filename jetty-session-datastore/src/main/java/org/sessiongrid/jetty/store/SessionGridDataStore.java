package org.sessiongrid.jetty.store;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.session.AbstractSessionDataStore;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionIdManager;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.session.UnreadableSessionDataException;
import org.eclipse.jetty.session.UnwriteableSessionDataException;
import org.eclipse.jetty.util.thread.AutoLock;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.GridUnavailableException;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionListener;
import org.sessiongrid.grid.SessionLock;
import org.sessiongrid.grid.SessionLockLostException;
import org.sessiongrid.grid.SessionLockTimeoutException;
import org.sessiongrid.grid.SessionExistsException;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.HandlerPlacement;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.jetty.route.PrimaryRoutes;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty 12 {@code SessionDataStore} that keeps every session of one context on a primary and
 * backups of a SessionGrid cluster. One instance per context; every context of one server (and
 * every server of one JVM with the same {@code clusterName}) shares one JGroups channel.
 *
 * <h2>Mapping</h2>
 * The grid namespace is {@code vhost + "/" + canonicalContextPath}. Each attribute is serialized on
 * the calling thread under the webapp class loader, one by one, and only attributes whose bytes
 * differ from the record this node last saw travel; the primary merges them at attribute level, so
 * concurrent requests on different nodes that change different attributes both keep their change.
 * Jetty's own metadata travels exactly in the record's container blob ({@link JettyMetadata}).
 * A store in which only the access time changed becomes a batched touch, unless the copy that other
 * nodes see would otherwise be older than half the session's timeout.
 *
 * <h2>Expiry: who fires the listeners</h2>
 * A session ends at most once in the cluster because every path that ends it must first win the
 * record's transition to a tombstone at the session's primary, and its listeners fire at most once
 * because whoever fires them must first win the expiry's announcement there:
 * <ul>
 * <li>Jetty's scavenger on the node that last managed the session ({@link #doCheckExpired}) claims
 * it ({@link SessionStore#claimExpiry}); only if the claim won does it hand the id to Jetty, whose
 * invalidation (after the whole batch was claimed) ends the session here: it loads the session (from
 * this node's cache, or the claim's last contents), calls this store's {@link #delete}, then fires
 * {@code sessionDestroyed}. That {@code delete} is the last step before the listeners on every path,
 * cached or not, so it is where this node announces the expiry ({@link SessionStore#announceExpiry});
 * if the announcement lost, it takes the session out of the cache so that Jetty fires nothing.</li>
 * <li>Until the announcement, the claimed record keeps the attributes and names this node. Should this
 * node die (or leave the cluster) in between, or not announce within the claim's lease
 * ({@code max(60 s, 4 x remoteTimeout)}), the session's primary announces the expiry, and the store on
 * the primary's node runs Jetty's invalidation with the record's last contents, as for the grid's own
 * expiry below. What is still lost is a node dying between its announcement and Jetty's listener call
 * (the announcement's reply and the cache's removal of that one session), or during the listeners.</li>
 * <li>The grid's own expiry fires at the primary, a grace period after Jetty's expiry (the grid
 * record's timeout is the session's plus {@code gracePeriodSec}), for sessions no node's scavenger
 * took (their managing node died). The store then runs Jetty's invalidation for that session on this
 * node with the record's last contents. With a {@code NullSessionCache} Jetty's invalidation finds no
 * cached session and fires no listeners on any path (Jetty's own behaviour, whatever the store): the
 * sessions end, silently.</li>
 * <li>A node that finds a session already gone evicts its own cached copy without listeners.</li>
 * </ul>
 *
 * <p>The grid record's expiry counts from the last write or touch, not from Jetty's access time, so
 * that it never precedes Jetty's own judgement; Jetty decides with its stored expiry as usual.
 */
public class SessionGridDataStore extends AbstractSessionDataStore {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridDataStore.class);

    /** In the message of the failed first save of a new session whose id exists in the grid. */
    public static final String NEVER_OVERWRITES = "a new session never overwrites it";

    private final StoreSettings settings;
    private final SessionManager manager;
    private volatile GridConfig config;
    private volatile AttributeSerializer serializer;

    /** What this node last saw of each session it holds, by the identity of Jetty's SessionData. */
    private final Map<SessionData, Seen> seen = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * Last contents of sessions this node is ending (claimed or expired by the grid): Jetty's
     * invalidation loads the session once more to fire listeners, after the record is already a
     * tombstone.
     */
    private final Map<String, SessionData> ending = new ConcurrentHashMap<>();

    /**
     * Sessions this node's scavenger claimed and whose expiry it has not announced yet: Jetty's
     * invalidation of each announces it in {@link #delete}, right before the listeners.
     */
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();

    private volatile SessionGrid grid;
    private volatile SessionStore sessions;
    private volatile LockingMode lockingMode = LockingMode.NONE;
    private volatile long lockTimeout;

    /** What this store tells a SessionGridSessionIdManager about routes, while started. */
    private volatile PrimaryRoutes routes;

    /** Why SessionGridRequestHandler's place could not be checked at start, or null if it was. */
    private volatile String unverifiedPlacement;
    private final AtomicBoolean reportedMissingHandler = new AtomicBoolean();

    /**
     * Session locks held by requests on this node (lockingMode): at most one per session, because
     * a second locking request for it waits for the lock at the primary before Jetty hands it the
     * session. Write-backs of the session commit under it.
     */
    private final Map<String, SessionLock> held = new ConcurrentHashMap<>();

    /**
     * @param settings the SessionGrid settings of the server (checked when the store starts, when
     *                 the context's worker name is known)
     * @param manager  the context's session manager, whose cache this store keeps coherent
     */
    public SessionGridDataStore(StoreSettings settings, SessionManager manager) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.manager = Objects.requireNonNull(manager, "manager");
    }

    /** The grid namespace of this context: {@code vhost/canonicalContextPath}. */
    public String namespace() {
        return _context.getVhost() + "/" + _context.getCanonicalContextPath();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        StoreSettings.Resolved resolved = settings.resolve(workerName(), System.getProperties());
        String what = "SessionGrid store of context " + namespace();
        StartChecks.requireSaveAtCommit(manager, what);
        unverifiedPlacement = StartChecks.requireLockingHandler(manager, what) ? null
                : HandlerPlacement.problem(HandlerPlacement.Verdict.NOT_IN_TREE, null, null, what);
        if (!resolved.lockingMode().isNone()) {
            StartChecks.requireLockingCache(manager, resolved.lockingMode());
        }
        lockingMode = resolved.lockingMode();
        lockTimeout = resolved.lockTimeout();
        config = resolved.grid();
        serializer = new AttributeSerializer(config.deserializationFilter());
        SessionGrid g = SessionGrid.acquire(config);
        try {
            checkUniqueWorker(g);
            sessions = storeOf(g.store(namespace()));
            sessions.setListener(new SessionListener() {
                @Override
                public void expired(SessionRecord last) {
                    expiredByGrid(last);
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
     * Fails a request that did not come through {@link SessionGridRequestHandler}, when its place
     * could not be checked at start (the context was not in the server's handler tree then): called
     * by the SessionGrid cache when a request looks its session up.
     *
     * @throws SessionGridRequestHandler.HandlerMissing answered 500, naming the problem and the fix
     */
    public void requireLockingHandler() {
        String problem = unverifiedPlacement;
        if (problem != null && SessionGridRequestHandler.current() == null) {
            if (reportedMissingHandler.compareAndSet(false, true)) {
                LOG.error("Requests to {} fail: {}", namespace(), problem);
            }
            throw new SessionGridRequestHandler.HandlerMissing(problem);
        }
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

    private void checkUniqueWorker(SessionGrid g) {
        String worker = workerName();
        long same = g.members().stream().filter(m -> m.equals(g.memberName())).count();
        if (same > 1) {
            throw new IllegalStateException("SessionGrid member name '" + g.memberName() + "' is used by another member"
                    + " of cluster " + config.clusterName() + ": give every node a unique"
                    + " jetty.sessionIdManager.workerName (or sessiongrid.nodeName)");
        }
        if (worker != null && !worker.isBlank() && !worker.equals(config.nodeName())) {
            LOG.info("Jetty workerName {} differs from SessionGrid member name {}; both must be unique in the farm",
                    worker, config.nodeName());
        }
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
        held.clear();
        seen.clear();
        ending.clear();
        // Claims not announced by now are left to their primaries (once this member is gone, or the
        // lease ran out).
        claimed.clear();
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
        SessionData last = ending.get(id);
        if (last != null) {
            return last;
        }
        SessionRecord r = sessions.find(id, null);
        if (r == null) {
            return null;
        }
        SessionData data = toSessionData(id, r);
        seen.put(data, new Seen(id, r, bytesOf(r), data.getAllAttributes(), true));
        return data;
    }

    /** Jetty's view of a record: its metadata, and its attributes read with the webapp class loader. */
    private SessionData toSessionData(String id, SessionRecord r) throws UnreadableSessionDataException {
        JettyMetadata md;
        try {
            md = JettyMetadata.decode(r.meta().containerData());
        } catch (IOException e) {
            throw new UnreadableSessionDataException(id, _context, e);
        }
        SessionData data = newSessionData(id, r.meta().creationTime(), md.accessed(), md.lastAccessed(),
                md.maxInactiveMs());
        data.setCookieSet(md.cookieSet());
        data.setLastNode(md.lastNode());
        data.setExpiry(md.expiry());
        long touched = r.meta().lastAccessedTime();
        if (touched > md.writeTime() && touched > md.accessed()) {
            // Requests used the session after its last full write without changing it (batched
            // touches): Jetty's access times and expiry follow the latest of them.
            data.setLastAccessed(md.accessed());
            data.setAccessed(touched);
            data.calcAndSetExpiry(touched);
        }
        for (Map.Entry<String, Attribute> a : r.attributes().entrySet()) {
            try {
                data.setAttribute(a.getKey(), serializer.decode(a.getKey(), a.getValue().value()));
            } catch (AttributeSerializer.RejectedAttributeException e) {
                // The message names the attribute, the class or limit, and the setting.
                throw new UnreadableSessionDataException(id, _context, e);
            } catch (IOException | ClassNotFoundException | RuntimeException e) {
                throw new UnreadableSessionDataException(id, _context, new IOException("attribute '" + a.getKey()
                        + "' cannot be read: " + e, e));
            }
        }
        data.setLastSaved(md.writeTime());
        data.clean();
        return data;
    }

    // ---------------------------------------------------------------- store

    @Override
    public void doStore(String id, SessionData data, long lastSaveTime) throws Exception {
        long now = System.currentTimeMillis();
        // Jetty never saved this session (a new one, or one whose first save failed): it must be
        // created, never written over a record that exists under its id (IT5: a session Jetty made
        // because the grid could not produce the user's must not replace the user's).
        boolean isNew = lastSaveTime <= 0;
        Seen before = isNew ? null : seen.get(data);
        if (before != null && !before.id.equals(id)) {
            before = null; // the id was renewed: this is a new session under the new id
        }
        SessionRecord base = before != null ? before.record : null;
        if (base == null && lastSaveTime > 0) {
            base = sessions.find(id, null);
        }
        // What this node's copy reflects: the change is measured against it, never against a newer
        // record that already holds other nodes' changes (or we would undo them).
        Map<String, byte[]> mine = before != null ? before.mine : base != null ? bytesOf(base) : Map.of();
        JettyMetadata md = JettyMetadata.of(data, now);
        JettyMetadata baseMd = base == null ? null : metadataOrNull(base);

        SessionDelta.Builder delta = SessionDelta.builder();
        Map<String, Object> values = data.getAllAttributes();
        Map<String, byte[]> nowMine = new HashMap<>();
        boolean attributesChanged = false;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            String name = e.getKey();
            Object value = e.getValue();
            byte[] had = mine.get(name);
            if (had != null && before != null && before.values.get(name) == value
                    && AttributeSerializer.isKnownImmutable(value)) {
                nowMine.put(name, had); // the same immutable object as last time: same bytes
                continue;
            }
            byte[] bytes;
            try {
                bytes = serializer.encode(name, value);
            } catch (IOException e2) {
                throw new UnwriteableSessionDataException(id, _context, new IOException("attribute '" + name
                        + "' (" + value.getClass().getName() + ") is not serializable: " + e2, e2));
            }
            if (base == null || !Arrays.equals(bytes, had)) {
                delta.set(name, bytes);
                attributesChanged = true;
                nowMine.put(name, bytes);
            } else {
                nowMine.put(name, had);
            }
        }
        for (String name : mine.keySet()) {
            if (!values.containsKey(name)) {
                delta.remove(name);
                attributesChanged = true;
            }
        }

        if (base != null && !attributesChanged && md.sameExceptAccess(baseMd)
                && gridMaxInactive(md.maxInactiveMs()) == base.meta().maxInactiveInterval()
                && now - baseMd.writeTime() < freshnessMillis(md.maxInactiveMs())
                // Other nodes judge expiry from the record until the batched touch arrives: a request
                // that outlasted much of the timeout (a failover held it) must not leave them a record
                // that is already, or nearly, expired (the fault matrix's 4 s sessions, 5 s stalls).
                && (md.maxInactiveMs() <= 0 || jettyExpiry(base) - now >= freshnessMillis(md.maxInactiveMs()))) {
            // Only the access time moved: it reaches the primary batched (accessTimeGranularity)
            // instead of costing a synchronous write per request.
            sessions.touch(id, data.getAccessed());
            seen.put(data, new Seen(id, base, nowMine, values, before == null || before.coherent));
            return;
        }

        delta.containerData(md.encode())
                .lastAccessedTime(now)
                .maxInactiveInterval(gridMaxInactive(md.maxInactiveMs()));
        SessionRecord result;
        if (base == null) {
            result = isNew ? createNew(id, data, delta) : create(id, data, delta, now);
            if (result == null) {
                return; // refused: invalidated elsewhere
            }
        } else {
            SessionLock lock = held.get(id);
            try {
                result = lock == null ? sessions.commit(id, delta.build(), base)
                        : sessions.commit(id, delta.build(), base, lock);
            } catch (SessionLockLostException e) {
                // The lock was taken from this request (its lease ended by a failover): the change
                // is not applied; Jetty keeps the session dirty and reports the failed write.
                throw new UnwriteableSessionDataException(id, _context, new IOException("the session's lock"
                        + " (lockingMode=" + lockingMode + ") was lost before the request's changes were saved: "
                        + e.getMessage(), e));
            } catch (SessionGoneException e) {
                if (e.invalidated()) {
                    refused(id);
                    return;
                }
                // The record is gone without a tombstone (its owners all failed): write it back whole.
                result = create(id, data, wholeDelta(data, md, now), now);
                if (result == null) {
                    return;
                }
            }
        }
        seen.put(data, new Seen(id, result, nowMine, values, sameAttributes(result, nowMine)));
    }

    private static Map<String, byte[]> bytesOf(SessionRecord r) {
        Map<String, byte[]> m = new HashMap<>();
        r.attributes().forEach((n, a) -> m.put(n, a.value()));
        return m;
    }

    /** True if the record holds exactly the attributes this node's copy holds (no one else's change). */
    private static boolean sameAttributes(SessionRecord r, Map<String, byte[]> mine) {
        if (!r.attributes().keySet().equals(mine.keySet())) {
            return false;
        }
        for (Map.Entry<String, Attribute> a : r.attributes().entrySet()) {
            byte[] m = mine.get(a.getKey());
            if (m != a.getValue().value() && !Arrays.equals(m, a.getValue().value())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first save of a session Jetty made: a create that never falls back to a commit. If a live
     * record exists under the id, this node's session is not the user's (Jetty made it because the
     * grid could not produce the user's, or under an id in use): the save fails and this node's copy
     * is marked stale, so that the next request drops it and loads the stored session.
     *
     * <p>A create that fails with {@link GridUnavailableException} after the topology changed (its
     * primary died while it waited for the answer) is tried once more, against the new primary. The
     * first attempt may have been applied at a backup that is now the primary; the retry then finds
     * the id taken, and both attempts carry the same operation id, so the grid answers the retry with
     * the record the first attempt stored; someone else's session under the id is still refused.
     */
    private SessionRecord createNew(String id, SessionData data, SessionDelta.Builder delta) throws Exception {
        delta.creationTime(data.getCreated());
        SessionDelta initial = delta.build();
        long topologyBefore = sessions.owners(id).topologyId();
        long opId = java.util.concurrent.ThreadLocalRandom.current().nextLong() | 1;
        boolean retry = false;
        while (true) {
            try {
                SessionRecord made = sessions.create(id, initial, opId);
                if (retry) {
                    LOG.info("First save of new session {} of {} stored after the failover (version {})", id,
                            namespace(), made.version());
                }
                return made;
            } catch (GridUnavailableException e) {
                if (retry) {
                    throw e;
                }
                long topologyNow = awaitTopologyAfter(id, topologyBefore);
                if (topologyNow == topologyBefore) {
                    throw e;
                }
                retry = true;
                LOG.info("First save of new session {} of {} got no answer within remoteTimeout (topology {} -> {});"
                        + " trying once more against the new primary", id, namespace(), topologyBefore, topologyNow);
            } catch (SessionExistsException e) {
                SessionRecord current;
                try {
                    current = sessions.find(id, null);
                } catch (RuntimeException e2) {
                    throw new UnwriteableSessionDataException(id, _context, new IOException("a session with id " + id
                            + " already exists in the grid (or did); " + NEVER_OVERWRITES + ": " + e.getMessage(), e));
                }
                if (current == null) {
                    // A tombstone (ended moments ago), or the grid still settling after a failover:
                    // a new session must not be reported saved when the grid holds nothing under it.
                    throw new UnwriteableSessionDataException(id, _context, new IOException("the grid refuses a new"
                            + " session with id " + id + " (ended moments ago, or another node's create of it is"
                            + " not readable yet); " + NEVER_OVERWRITES));
                }
                seen.put(data, new Seen(id, current, Map.of(), Map.of(), false));
                LOG.warn("New session {} of {} not saved: a session with this id exists in the grid (version {}); a"
                        + " new session never overwrites it, and this node's copy is dropped at its next request", id,
                        namespace(), current.version());
                throw new UnwriteableSessionDataException(id, _context, new IOException("a session with id " + id
                        + " already exists in the grid; " + NEVER_OVERWRITES));
            }
        }
    }

    /**
     * Waits, at most {@code remoteTimeout}, for the grid to install a topology newer than
     * {@code topology} (a dead primary is replaced only once failure detection removed it, which
     * may take longer than the create waited), and returns the topology id then.
     */
    private long awaitTopologyAfter(String id, long topology) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(config.remoteTimeout());
        long now = sessions.owners(id).topologyId();
        // The grid offers no topology listener to adapters; a short poll bounded by the deadline.
        while (now == topology && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
            now = sessions.owners(id).topologyId();
        }
        return now;
    }

    private SessionRecord create(String id, SessionData data, SessionDelta.Builder delta, long now) throws Exception {
        delta.creationTime(data.getCreated());
        try {
            return sessions.create(id, delta.build());
        } catch (SessionExistsException e) {
            // Either a concurrent first save of the same session, or a tombstone: tell them apart.
            SessionRecord current = sessions.find(id, null);
            if (current == null) {
                refused(id);
                return null;
            }
            SessionDelta.Builder whole = wholeDelta(data, JettyMetadata.of(data, now), now);
            current.attributes().keySet().stream().filter(n -> data.getAttribute(n) == null).forEach(whole::remove);
            return sessions.commit(id, whole.build(), current);
        }
    }

    private SessionDelta.Builder wholeDelta(SessionData data, JettyMetadata md, long now) throws Exception {
        SessionDelta.Builder b = SessionDelta.builder().containerData(md.encode()).lastAccessedTime(now)
                .maxInactiveInterval(gridMaxInactive(md.maxInactiveMs()));
        for (Map.Entry<String, Object> e : data.getAllAttributes().entrySet()) {
            try {
                b.set(e.getKey(), serializer.encode(e.getKey(), e.getValue()));
            } catch (IOException e2) {
                throw new UnwriteableSessionDataException(data.getId(), _context, e2);
            }
        }
        return b;
    }

    private void refused(String id) {
        // Jetty issue #3277: a request that outlived an invalidation must not bring the session back.
        LOG.info("Session {} of {} was invalidated elsewhere; the write-back of a request that was still using it"
                + " is refused", id, namespace());
    }

    /**
     * The grid's timeout for a session: Jetty's plus the grace period, so that the grid's own expiry
     * comes after Jetty's scavenger had its chance.
     */
    int gridMaxInactive(long maxInactiveMs) {
        if (maxInactiveMs <= 0) {
            return 0;
        }
        long seconds = (maxInactiveMs + 999) / 1000 + Math.max(0, getGracePeriodSec());
        return (int) Math.min(Integer.MAX_VALUE, seconds);
    }

    /** How long a written copy stays good enough for other nodes that only see it, not the touches. */
    private static long freshnessMillis(long maxInactiveMs) {
        return maxInactiveMs <= 0 ? Long.MAX_VALUE : maxInactiveMs / 2;
    }

    private static JettyMetadata metadataOrNull(SessionRecord r) {
        try {
            return JettyMetadata.decode(r.meta().containerData());
        } catch (IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- exists / delete

    @Override
    public boolean doExists(String id) throws Exception {
        SessionRecord r = sessions.find(id, null);
        if (r == null) {
            return false;
        }
        long expiry = jettyExpiry(r);
        return expiry <= 0 || expiry > System.currentTimeMillis();
    }

    /**
     * Invalidates the session in the whole cluster (idempotent); a tombstone refuses late write-backs.
     * For a session this node's scavenger claimed, announces its expiry instead (see the class
     * description): Jetty calls this from its invalidation right before it fires the listeners.
     */
    @Override
    public boolean delete(String id) throws Exception {
        if (claimed.remove(id)) {
            return announceClaimed(id);
        }
        try {
            long topology = sessions.owners(id).topologyId();
            try {
                return sessions.invalidate(id);
            } catch (GridUnavailableException e) {
                // Its primary died while it waited: once more against the new primary (invalidation
                // is idempotent), or the caller learns that the session was not ended.
                long now = awaitTopologyAfter(id, topology);
                if (now == topology) {
                    throw e;
                }
                LOG.info("Invalidation of session {} of {} got no answer within remoteTimeout (topology {} -> {});"
                        + " trying once more against the new primary", id, namespace(), topology, now);
                return sessions.invalidate(id);
            }
        } finally {
            ending.remove(id);
        }
    }

    // ---------------------------------------------------------------- expiry

    @Override
    public Set<String> doCheckExpired(Set<String> candidates, long time) {
        Set<String> expired = new HashSet<>();
        String me = workerName();
        for (String id : candidates) {
            SessionRecord r;
            try {
                r = sessions.find(id, null);
            } catch (RuntimeException e) {
                LOG.warn("Expiry check of session {} of {} postponed: {}", id, namespace(), e.getMessage());
                continue;
            }
            if (r == null) {
                // Ended elsewhere (its listeners fired there) or never stored: Jetty's contract says
                // expired; drop our copy first so that Jetty's invalidation finds nothing to fire for.
                evictLocalCopy(id);
                expired.add(id);
                continue;
            }
            JettyMetadata md = metadataOrNull(r);
            long expiry = jettyExpiry(r);
            boolean mine = md != null && Objects.equals(md.lastNode(), me);
            if (mine && expiry > 0 && expiry <= time) {
                if (inUseHere(id)) {
                    // Jetty passes over a session a request is using (AbstractSessionCache.checkExpiration)
                    // and judges it again at its next scavenge, after the request saved it: a claim now
                    // would end it under that request and leave its claim to the primary's lease.
                    continue;
                }
                if (claim(id)) {
                    expired.add(id);
                }
            } else if (!mine) {
                // Another node manages it now; our copy is stale and would only linger.
                evictLocalCopy(id);
            }
        }
        return expired;
    }

    /**
     * Sessions of this context whose Jetty expiry is at or before {@code before}, found across the
     * cluster (sessions no node's scavenger took: their node died, or they live only in a
     * {@code NullSessionCache}). Jetty calls this at most once per grace period, so a listing at
     * every primary is affordable. Each one is claimed here like {@link #doCheckExpired} does, so
     * that only the node whose claim won fires the listeners.
     */
    @Override
    public Set<String> doGetExpired(long before) {
        java.util.List<SessionRecord> all;
        try {
            all = sessions.listSessions();
        } catch (RuntimeException e) {
            LOG.warn("Cluster-wide expiry scan of {} postponed to the next grace period: {}", namespace(),
                    e.getMessage());
            return Set.of();
        }
        Set<String> expired = new HashSet<>();
        for (SessionRecord listed : all) {
            long expiry = jettyExpiry(listed);
            if (expiry <= 0 || expiry > before) {
                continue;
            }
            String id = listed.key().id();
            SessionRecord r;
            try {
                r = sessions.find(id, null); // the listing carries no attribute values; the listeners need them
            } catch (RuntimeException e) {
                LOG.warn("Expiry of session {} of {} postponed: {}", id, namespace(), e.getMessage());
                continue;
            }
            if (r != null && jettyExpiry(r) > 0 && jettyExpiry(r) <= before && claim(id)) {
                expired.add(id);
            }
        }
        return expired;
    }

    /**
     * Ends sessions of any Jetty context whose Jetty expiry is at or before {@code time} (ten grace
     * periods ago), without listeners: contexts no longer deployed anywhere leave nobody to scavenge
     * them, and this context's own that old were missed by every other path. This is what Jetty's
     * JDBC store does and its contract suite checks. Records written by other containers (no Jetty
     * metadata) are left to the grid's expiry.
     */
    @Override
    public void doCleanOrphans(long time) {
        Map<String, java.util.List<SessionRecord>> all;
        try {
            all = grid.listSessions("");
        } catch (RuntimeException e) {
            LOG.warn("Orphan sweep from {} postponed: {}", namespace(), e.getMessage());
            return;
        }
        for (Map.Entry<String, java.util.List<SessionRecord>> ns : all.entrySet()) {
            for (SessionRecord r : ns.getValue()) {
                if (metadataOrNull(r) == null) {
                    continue;
                }
                long expiry = jettyExpiry(r);
                if (expiry > 0 && expiry <= time) {
                    try {
                        if (grid.store(ns.getKey()).invalidate(r.key().id())) {
                            LOG.info("Removed orphaned session {} of {} (expired at {})", r.key().id(), ns.getKey(),
                                    expiry);
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("Orphaned session {} of {} not removed now: {}", r.key().id(), ns.getKey(),
                                e.getMessage());
                    }
                }
            }
        }
    }

    /** Jetty's expiry of a record, taking batched touches into account (0: never). */
    private static long jettyExpiry(SessionRecord r) {
        JettyMetadata md = metadataOrNull(r);
        if (md == null) {
            return r.meta().expiryTime() == Long.MAX_VALUE ? 0 : r.meta().expiryTime();
        }
        long touched = r.meta().lastAccessedTime();
        if (touched > md.writeTime() && touched > md.accessed() && md.maxInactiveMs() > 0) {
            return Math.max(md.expiry(), touched + md.maxInactiveMs());
        }
        return md.expiry();
    }

    /**
     * Ends the session in the grid on behalf of this node's scavenger. Returns true if this call
     * ended the live record, i.e. nobody else ended it and listeners are this node's to fire (once
     * the expiry is announced, see {@link #delete}).
     */
    private boolean claim(String id) {
        SessionRecord last;
        try {
            last = sessions.claimExpiry(id);
        } catch (RuntimeException e) {
            // If the claim was recorded after all, its primary announces it once the lease ran out.
            LOG.warn("Expiry of session {} of {} postponed: {}", id, namespace(), e.getMessage());
            return false;
        }
        if (last == null) {
            evictLocalCopy(id);
            return false;
        }
        try {
            ending.put(id, toSessionData(id, last));
        } catch (UnreadableSessionDataException e) {
            LOG.warn("Session {} of {} expired with unreadable attributes; its listeners see no attributes: {}", id,
                    namespace(), e.getCause() == null ? e.toString() : e.getCause().getMessage());
        }
        claimed.add(id);
        return true;
    }

    /**
     * Announces the expiry of a session this node claimed, from Jetty's invalidation of it: Jetty fires
     * the listeners right after this store's delete (AbstractSessionManager.invalidate: the cache's
     * delete loads the session, calls the store's delete and removes the session from the cache; the
     * listeners follow for the session removed). If the announcement lost, the session's primary
     * announced the expiry (this node was presumed gone, or the claim's lease ran out) and its node
     * fires the listeners: the session is taken out of the cache here, even while a request uses it,
     * so that the cache's removal finds nothing and Jetty fires nothing.
     *
     * @return true if this node fires the listeners
     */
    private boolean announceClaimed(String id) {
        if (manager.getSessionCache() instanceof DefaultSessionCache c && c.doGet(id) == null) {
            // Jetty found no session to end (none cached, and the claim's last contents were unreadable):
            // it fires nothing, so this node does not take the call; the primary tries once the lease ran out.
            ending.remove(id);
            return false;
        }
        boolean announced;
        try {
            announced = sessions.announceExpiry(id);
        } catch (RuntimeException e) {
            // Not known to be recorded: firing could double the primary's call after the lease, not
            // firing loses the call only if the announcement was recorded after all.
            LOG.warn("Listeners of expired session {} of {} not fired here, the grid did not confirm the"
                    + " announcement (its primary fires them after the claim's lease unless it was recorded): {}",
                    id, namespace(), e.getMessage());
            announced = false;
        }
        ending.remove(id);
        if (!announced) {
            forgetLocalCopy(id);
            LOG.debug("Expiry of session {} of {} was announced elsewhere; no listeners here", id, namespace());
        }
        return announced;
    }

    /** True if a request on this node is using its cached copy of the session. */
    private boolean inUseHere(String id) {
        ManagedSession s = cachedCopy(id);
        return s != null && s.getRequests() > 0;
    }

    /** This node's cached copy of the session, if the cache is one that holds sessions ({@link DefaultSessionCache}). */
    private ManagedSession cachedCopy(String id) {
        return manager.getSessionCache() instanceof DefaultSessionCache c ? c.doGet(id) : null;
    }

    /** Takes this node's copy out of the cache, in use or not, so that an invalidation in progress finds none. */
    private void forgetLocalCopy(String id) {
        if (manager.getSessionCache() instanceof DefaultSessionCache c) {
            ManagedSession s = c.doGet(id);
            if (s != null) {
                try (AutoLock ignored = s.lock()) {
                    s.setResident(false);
                    c.doDelete(id);
                }
            }
        }
    }

    /** The grid expired a session whose primary is this member: fire Jetty's listeners here, once. */
    private void expiredByGrid(SessionRecord last) {
        if (!isStarted()) {
            // The grid asks accepting() right before announcing; this is the store stopping in between.
            LOG.warn("Session {} of {} expired while this store is stopping: its sessionDestroyed listeners are not"
                    + " called", last.key().id(), namespace());
            return;
        }
        String id = last.key().id();
        _context.run(() -> {
            try {
                ending.put(id, toSessionData(id, last));
            } catch (UnreadableSessionDataException e) {
                LOG.warn("Session {} of {} expired with unreadable attributes; its listeners see none: {}", id,
                        namespace(), e.getCause() == null ? e.toString() : e.getCause().getMessage());
            }
            // The record is a tombstone already; a cached copy here may be stale, so drop it and let
            // Jetty's invalidation load the last contents from 'ending'.
            evictLocalCopy(id);
            try {
                manager.invalidate(id);
            } catch (Exception e) {
                LOG.warn("Listeners of expired session {} of {} failed: {}", id, namespace(), e.toString());
            } finally {
                ending.remove(id);
            }
        });
    }

    /**
     * Drops this node's cached copy of a session without listeners, unless a request is using it.
     * Works with Jetty's {@link DefaultSessionCache} and its subclasses; other caches hold nothing.
     */
    void evictLocalCopy(String id) {
        SessionCache cache = manager.getSessionCache();
        if (!(cache instanceof DefaultSessionCache c)) {
            return;
        }
        ManagedSession s = c.doGet(id);
        if (s == null) {
            return;
        }
        try (AutoLock ignored = s.lock()) {
            if (s.getRequests() <= 0 && s.isResident()) {
                if (c instanceof org.sessiongrid.jetty.cache.SessionGridSessionCache g) {
                    g.dropping();
                }
                s.setResident(false);
                c.doDelete(id);
                LOG.debug("Evicted stale copy of session {} of {}", id, namespace());
            }
        }
    }

    // ---------------------------------------------------------------- coherence

    /**
     * True if {@code data}, this node's copy of session {@code id}, is still what the cluster holds:
     * used by {@link org.sessiongrid.jetty.cache.SessionGridSessionCache} at request start, so that a
     * copy another node changed since is reloaded instead of used. Asks the session's primary (from
     * memory when that is this member). A copy the store never saw (a new session) counts as current.
     */
    public boolean isCurrent(String id, SessionData data) {
        Seen s = seen.get(data);
        if (s == null || !s.id.equals(id)) {
            return true;
        }
        if (!s.coherent) {
            return false;
        }
        SessionRecord now = sessions.find(id, s.record);
        if (now == s.record) {
            return true;
        }
        if (now != null && sameContent(now, s.record)) {
            // Only the lock moved (lockingMode takes and releases it with a version bump each):
            // the copy is still right; commit on top of the newer record.
            seen.put(data, new Seen(id, now, s.mine, s.values, s.coherent));
            return true;
        }
        return false;
    }

    /** True if two versions of a record differ in nothing a request sees (attributes, Jetty metadata, timeout). */
    private static boolean sameContent(SessionRecord a, SessionRecord b) {
        if (a.meta().maxInactiveInterval() != b.meta().maxInactiveInterval()
                || !Arrays.equals(a.meta().containerData(), b.meta().containerData())
                || !a.attributes().keySet().equals(b.attributes().keySet())) {
            return false;
        }
        for (Map.Entry<String, Attribute> e : a.attributes().entrySet()) {
            if (e.getValue().version() != b.attributes().get(e.getKey()).version()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The grid says another member changed session {@code id} to {@code version}: drop this node's
     * cached copy now if it is older (and no request here is using it), instead of at its next
     * request's check. Runs on a grid thread; takes only the session's short lock.
     */
    void changedElsewhere(String id, long version) {
        ManagedSession s = isStarted() ? cachedCopy(id) : null;
        if (s == null) {
            return;
        }
        Seen mine = seen.get(s.getSessionData());
        if (mine != null && mine.id.equals(id) && mine.record != null && mine.record.version() >= version) {
            return;
        }
        evictLocalCopy(id);
    }

    // ---------------------------------------------------------------- locking

    /**
     * Takes session {@code id}'s cluster-wide lock for the request this thread is handling, if
     * {@code lockingMode} applies to it; called by {@link org.sessiongrid.jetty.cache.SessionGridSessionCache}
     * before it hands Jetty the session. The lock is released when the request completes, after the
     * session was written back ({@link SessionGridRequestHandler}).
     *
     * @throws SessionGridRequestHandler.LockRefused if the lock stayed taken for {@code lockTimeout}
     *                                               or the grid could not be asked
     */
    public void lockForRequest(String id) {
        SessionGridRequestHandler.LockScope scope = SessionGridRequestHandler.current();
        if (scope == null || lockingMode.isNone() || !lockingMode.appliesTo(pathInContext(scope.path()))) {
            return;
        }
        SessionLock lock;
        try {
            lock = sessions.lock(id, lockTimeout);
        } catch (SessionGoneException e) {
            return; // nothing to lock: Jetty finds no session and may make a new one
        } catch (SessionLockTimeoutException e) {
            throw SessionGridRequestHandler.refusal(new SessionGridRequestHandler.LockRefused("session " + id + " of "
                    + namespace() + " stayed locked by other requests for lockTimeout=" + lockTimeout
                    + " ms (lockingMode=" + lockingMode + "); raise lockTimeout if requests of one user legitimately"
                    + " take longer"));
        } catch (RuntimeException e) {
            throw SessionGridRequestHandler.refusal(new SessionGridRequestHandler.LockRefused("the lock of session "
                    + id + " of " + namespace() + " could not be taken (lockingMode=" + lockingMode + "): "
                    + e.getMessage()));
        }
        held.put(id, lock);
        Runnable release = () -> {
            held.remove(id, lock);
            lock.close();
        };
        if (!scope.onClose(release)) {
            release.run();
        }
    }

    /** The session lock a request on this node holds for session {@code id}, or null (for tests). */
    SessionLock heldLock(String id) {
        return held.get(id);
    }

    /** A request path relative to the context handling it ({@code lockingMode=uriPattern:} matches this). */
    private static String pathInContext(String path) {
        org.eclipse.jetty.server.Context ctx = org.eclipse.jetty.server.handler.ContextHandler.getCurrentContext();
        String ctxPath = ctx == null ? null : ctx.getContextPath();
        if (path == null || ctxPath == null || ctxPath.isEmpty() || ctxPath.equals("/")) {
            return path;
        }
        return path.startsWith(ctxPath) ? path.substring(ctxPath.length()) : path;
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

    /**
     * What this node last saw of a session: the record (the base of its next commit), the serialized
     * attributes this node's copy holds (changes are measured against them; the arrays are shared
     * with the records), the attribute objects (to skip re-serializing unchanged immutable values),
     * and whether the record holds exactly this node's copy.
     */
    private record Seen(String id, SessionRecord record, Map<String, byte[]> mine, Map<String, Object> values,
                        boolean coherent) {
        Seen {
            mine = Map.copyOf(mine);
            values = Map.copyOf(values);
        }
    }
}
