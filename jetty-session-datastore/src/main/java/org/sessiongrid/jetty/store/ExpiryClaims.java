package org.sessiongrid.jetty.store;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import org.eclipse.jetty.session.SessionContext;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.session.UnreadableSessionDataException;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.copies.LocalCopies;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.session.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who ends an expired session and fires its listeners, for one context's store. A session ends at
 * most once in the cluster because every path that ends it must first win the record's transition to
 * a tombstone at the session's primary, and its listeners fire at most once because whoever fires
 * them must first win the expiry's announcement there:
 * <ul>
 * <li>Jetty's scavenger on the node that last managed the session ({@link #checkExpired}) claims it
 * ({@link SessionStore#claimExpiry}); only if the claim won does it hand the id to Jetty, whose
 * invalidation (after the whole batch was claimed) ends the session here: it loads the session (from
 * this node's cache, or the claim's last contents), calls the store's {@code delete}, then fires
 * {@code sessionDestroyed}. That {@code delete} is the last step before the listeners on every path,
 * cached or not, so it is where this node announces the expiry ({@link #announce}); if the
 * announcement lost, the session leaves the cache so that Jetty fires nothing.</li>
 * <li>Until the announcement, the claimed record keeps the attributes and names this node. Should this
 * node die (or leave the cluster) in between, or not announce within the claim's lease
 * ({@code max(60 s, 4 x remoteTimeout)}), the session's primary announces the expiry, and the store on
 * the primary's node runs Jetty's invalidation with the record's last contents, as for the grid's own
 * expiry below. What is still lost is a node dying between its announcement and Jetty's listener call
 * (the announcement's reply and the cache's removal of that one session), or during the listeners.</li>
 * <li>The grid's own expiry fires at the primary, a grace period after Jetty's expiry (the grid
 * record's timeout is the session's plus {@code gracePeriodSec}), for sessions no node's scavenger
 * took (their managing node died): {@link #expiredByGrid} runs Jetty's invalidation for that session
 * on this node with the record's last contents. With a {@code NullSessionCache} Jetty's invalidation
 * finds no cached session and fires no listeners on any path (Jetty's own behaviour, whatever the
 * store): the sessions end, silently.</li>
 * <li>A node that finds a session already gone drops its cached copy without listeners.</li>
 * </ul>
 *
 * <p>The grid record's expiry counts from the last write or touch, not from Jetty's access time, so
 * that it never precedes Jetty's own judgement; Jetty decides with its stored expiry as usual.
 */
final class ExpiryClaims {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridDataStore.class);

    private final SessionGrid grid;
    private final SessionStore sessions;
    private final String namespace;
    private final LocalCopies copies;
    private final RecordReader reader;
    private final SessionManager manager;
    private final SessionContext context;
    private final BooleanSupplier started;

    /**
     * Last contents of sessions this node is ending (claimed or expired by the grid): Jetty's
     * invalidation loads the session once more to fire listeners, after the record is already a
     * tombstone.
     */
    private final Map<String, SessionData> ending = new ConcurrentHashMap<>();

    /**
     * Sessions this node's scavenger claimed and whose expiry it has not announced yet: Jetty's
     * invalidation of each announces it in the store's delete, right before the listeners.
     */
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();

    ExpiryClaims(SessionGrid grid, SessionStore sessions, String namespace, LocalCopies copies, RecordReader reader,
                 SessionManager manager, SessionContext context, BooleanSupplier started) {
        this.grid = grid;
        this.sessions = sessions;
        this.namespace = namespace;
        this.copies = copies;
        this.reader = reader;
        this.manager = manager;
        this.context = context;
        this.started = started;
    }

    /** The last contents of a session this node is ending, which Jetty's invalidation loads, or null. */
    SessionData lastContents(String id) {
        return ending.get(id);
    }

    /** Forgets the last contents of a session that ended. */
    void ended(String id) {
        ending.remove(id);
    }

    /** True, once, for a session this node's scavenger claimed: its delete announces the expiry. */
    boolean takeClaim(String id) {
        return claimed.remove(id);
    }

    /** The store stops: claims not announced by now are left to their primaries (once this member is gone, or the lease ran out). */
    void clear() {
        ending.clear();
        claimed.clear();
    }

    /** Jetty's scavenger's candidates on this node: the ids whose claim this node won. */
    Set<String> checkExpired(Set<String> candidates, long time, String me) {
        Set<String> expired = new HashSet<>();
        for (String id : candidates) {
            SessionRecord r;
            try {
                r = sessions.find(id, null);
            } catch (RuntimeException e) {
                LOG.warn("Expiry check of session {} of {} postponed: {}", id, namespace, e.getMessage());
                continue;
            }
            if (r == null) {
                // Ended elsewhere (its listeners fired there) or never stored: Jetty's contract says
                // expired; drop our copy first so that Jetty's invalidation finds nothing to fire for.
                copies.ended(id);
                expired.add(id);
                continue;
            }
            JettyMetadata md = JettyMetadata.ofRecord(r);
            long expiry = JettyMetadata.expiryOf(r);
            boolean mine = md != null && Objects.equals(md.lastNode(), me);
            if (mine && expiry > 0 && expiry <= time) {
                if (copies.inUse(id)) {
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
                copies.changed(id);
            }
        }
        return expired;
    }

    /**
     * Sessions of this context whose Jetty expiry is at or before {@code before}, found across the
     * cluster (sessions no node's scavenger took: their node died, or they live only in a
     * {@code NullSessionCache}). Jetty calls this at most once per grace period, so a listing at
     * every primary is affordable. Each one is claimed here like {@link #checkExpired} does, so
     * that only the node whose claim won fires the listeners.
     */
    Set<String> expiredAnywhere(long before) {
        List<SessionRecord> all;
        try {
            all = sessions.listSessions();
        } catch (RuntimeException e) {
            LOG.warn("Cluster-wide expiry scan of {} postponed to the next grace period: {}", namespace,
                    e.getMessage());
            return Set.of();
        }
        Set<String> expired = new HashSet<>();
        for (SessionRecord listed : all) {
            long expiry = JettyMetadata.expiryOf(listed);
            if (expiry <= 0 || expiry > before) {
                continue;
            }
            String id = listed.key().id();
            SessionRecord r;
            try {
                r = sessions.find(id, null); // the listing carries no attribute values; the listeners need them
            } catch (RuntimeException e) {
                LOG.warn("Expiry of session {} of {} postponed: {}", id, namespace, e.getMessage());
                continue;
            }
            if (r != null && JettyMetadata.expiryOf(r) > 0 && JettyMetadata.expiryOf(r) <= before && claim(id)) {
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
    void cleanOrphans(long time) {
        Map<String, List<SessionRecord>> all;
        try {
            all = grid.listSessions("");
        } catch (RuntimeException e) {
            LOG.warn("Orphan sweep from {} postponed: {}", namespace, e.getMessage());
            return;
        }
        for (Map.Entry<String, List<SessionRecord>> ns : all.entrySet()) {
            for (SessionRecord r : ns.getValue()) {
                if (JettyMetadata.ofRecord(r) == null) {
                    continue;
                }
                long expiry = JettyMetadata.expiryOf(r);
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

    /**
     * Ends the session in the grid on behalf of this node's scavenger. Returns true if this call
     * ended the live record, i.e. nobody else ended it and listeners are this node's to fire (once
     * the expiry is announced, see {@link #announce}).
     */
    private boolean claim(String id) {
        SessionRecord last;
        try {
            last = sessions.claimExpiry(id);
        } catch (RuntimeException e) {
            // If the claim was recorded after all, its primary announces it once the lease ran out.
            LOG.warn("Expiry of session {} of {} postponed: {}", id, namespace, e.getMessage());
            return false;
        }
        if (last == null) {
            copies.ended(id);
            return false;
        }
        keepLastContents(id, last, "its listeners see no attributes");
        claimed.add(id);
        return true;
    }

    private void keepLastContents(String id, SessionRecord last, String consequence) {
        try {
            ending.put(id, reader.read(id, last));
        } catch (UnreadableSessionDataException e) {
            LOG.warn("Session {} of {} expired with unreadable attributes; {}: {}", id, namespace, consequence,
                    e.getCause() == null ? e.toString() : e.getCause().getMessage());
        }
    }

    /**
     * Announces the expiry of a session this node claimed, from Jetty's invalidation of it: Jetty fires
     * the listeners right after the store's delete (AbstractSessionManager.invalidate: the cache's
     * delete loads the session, calls the store's delete and removes the session from the cache; the
     * listeners follow for the session removed). If the announcement lost, the session's primary
     * announced the expiry (this node was presumed gone, or the claim's lease ran out) and its node
     * fires the listeners: the session is taken out of the cache here, even while a request uses it,
     * so that the cache's removal finds nothing and Jetty fires nothing.
     *
     * @return true if this node fires the listeners
     */
    boolean announce(String id) {
        if (copies.holdsSessions() && copies.copyOf(id) == null) {
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
                    id, namespace, e.getMessage());
            announced = false;
        }
        ending.remove(id);
        if (!announced) {
            copies.endedElsewhere(id);
            LOG.debug("Expiry of session {} of {} was announced elsewhere; no listeners here", id, namespace);
        }
        return announced;
    }

    /**
     * The grid expired a session whose primary is this member: fire Jetty's listeners here, once. The
     * record is a tombstone already; a cached copy here may be stale, so it is dropped, and Jetty's
     * invalidation loads the last contents from here.
     */
    void expiredByGrid(SessionRecord last) {
        String id = last.key().id();
        if (!started.getAsBoolean()) {
            // The grid asks accepting() right before announcing; this is the store stopping in between.
            LOG.warn("Session {} of {} expired while this store is stopping: its sessionDestroyed listeners are not"
                    + " called", id, namespace);
            return;
        }
        context.run(() -> {
            keepLastContents(id, last, "its listeners see none");
            copies.ended(id);
            try {
                manager.invalidate(id);
            } catch (Exception e) {
                LOG.warn("Listeners of expired session {} of {} failed: {}", id, namespace, e.toString());
            } finally {
                ending.remove(id);
            }
        });
    }
}
