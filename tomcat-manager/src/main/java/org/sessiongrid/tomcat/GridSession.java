package org.sessiongrid.tomcat;

import java.security.Principal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.catalina.session.StandardSession;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.AttributeEncodingException;
import org.sessiongrid.codec.UnreadableAttributeException;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.tomcat.auth.AuthState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's in-process copy of a grid session: what the application touches. It remembers the
 * {@link SessionRecord} it was built from (so that the next request asks the primary only "is this
 * version still current?") and what requests changed since the last commit: attributes set or
 * removed, and attributes read whose values are not known to be immutable (they may have been
 * changed in place; the commit serializes them and compares hashes).
 *
 * <p>Expiry is the grid primary's decision, never this copy's: {@link #isValid()} does not expire on
 * local idle time, because a copy on a node the user has left looks idle while the session is in use
 * elsewhere.
 */
public class GridSession extends StandardSession {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GridSession.class);

    /** Orders refreshes and commits of this copy (held across the grid call). */
    final transient Object sync = new Object();

    private transient volatile SessionRecord record;
    private transient volatile long agreedTopology;
    /** Hash of each attribute's bytes as the grid holds them (as of {@link #record}). */
    private final transient Map<String, Long> hashes = new ConcurrentHashMap<>();
    /** What requests changed since the last commit. */
    private final transient ChangeLog changes = new ChangeLog();
    private transient volatile boolean expiredByGrid;
    /** The latest access time the grid holds for this session, as far as this copy knows. */
    private transient volatile long storedAccessTime;
    /**
     * The thread filling this copy from a record (load, refresh), or null. Only that thread's changes
     * are the grid's own and not recorded; another request changing the copy meanwhile is recorded.
     */
    private transient volatile Thread loading;
    private transient volatile boolean dropped;
    /** The id whose route was last found to name the session's primary, and under which topology; or null. */
    private transient volatile RouteCheck routeCheck;
    private transient volatile KeyOf keyOfId;
    /** Requests (through the Host valve) using this copy right now; they commit it when they end. */
    final transient AtomicInteger requestsInFlight = new AtomicInteger();

    GridSession(SessionGridManager manager) {
        super(manager);
    }

    private SessionGridManager gridManager() {
        return (SessionGridManager) manager;
    }

    /** The record this copy last agreed with the grid on, or null for a new, not yet stored session. */
    SessionRecord record() {
        return record;
    }

    /**
     * The topology this node had installed when this copy last agreed with the grid (a read or a commit);
     * see {@link #changedBefore}.
     */
    long agreedTopology() {
        return agreedTopology;
    }

    /** This copy's {@link #record} was read or stored with {@code topologyId} installed here. */
    void agreedUnder(long topologyId) {
        agreedTopology = topologyId;
    }

    /**
     * True if this copy last agreed with the grid under another topology than {@code topologyId} and
     * requests changed it since (attributes set, removed or read as possibly changed in place, not
     * committed yet) or still use it: those changes were made, and what those requests will still write,
     * invalidate or move to a new id is decided, on what the copy read then. Refreshed in place, the copy
     * would give them the current record as their base, which the grid's zombie-write fence cannot tell from
     * a fresh read.
     */
    boolean changedBefore(long topologyId) {
        return agreedTopology != topologyId && (requestsInFlight.get() > 0 || changes.attributesTouched());
    }

    // ---- what the application does -------------------------------------------------------------

    @Override
    public Object getAttribute(String name) {
        Object v = super.getAttribute(name);
        if (v != null && !AttributeCodec.isKnownImmutable(v)) {
            changes.read(name);
        }
        return v;
    }

    /**
     * Serializes the value right away, so that a value the other nodes could not receive is refused
     * here, where the application can react, with an {@link IllegalArgumentException} naming the
     * attribute and the class (what Tomcat does for distributable contexts, but checking the whole
     * object graph, not only the top-level class).
     */
    @Override
    public void setAttribute(String name, Object value, boolean notify) {
        AttributeCodec codec = gridManager().codec();
        if (name != null && value != null && codec != null && isValidInternal() && !exclude(name, value)) {
            byte[] bytes = codec.encode(name, value);
            if (AttributeCodec.isKnownImmutable(value)) {
                changes.encodedAtSet(name, value, bytes);
            }
        }
        super.setAttribute(name, value, notify);
        if (name != null && value != null) {
            changes.written(name);
        }
    }

    @Override
    protected void removeAttributeInternal(String name, boolean notify) {
        boolean had = name != null && attributes.containsKey(name);
        super.removeAttributeInternal(name, notify);
        if (name != null) {
            changes.left(name);
        }
        // During expire() isValid is already false: those removals are not changes to replicate.
        if (had && isValid && !loadingHere()) {
            changes.removed(name);
        }
    }

    @Override
    public void setMaxInactiveInterval(int interval) {
        super.setMaxInactiveInterval(interval);
        if (!loadingHere()) {
            changes.timeoutChanged();
        }
    }

    @Override
    public void setPrincipal(Principal principal) {
        super.setPrincipal(principal);
        if (!loadingHere()) {
            changes.authChanged();
        }
    }

    @Override
    public void setAuthType(String authType) {
        super.setAuthType(authType);
        if (!loadingHere()) {
            changes.authChanged();
        }
    }

    /** True while this thread fills the copy from a record (its changes are not the application's). */
    private boolean loadingHere() {
        return loading == Thread.currentThread();
    }

    /** Valid until invalidated, expired by the grid, or found gone; never expired by local idle time. */
    @Override
    public boolean isValid() {
        return isValid;
    }

    /**
     * Invalidates the session in the grid first (so no other node serves it any more and late commits
     * are refused), then runs Tomcat's expiry here: listeners fire once, on this node.
     */
    @Override
    public void expire(boolean notify) {
        if (!isValid || expiring) {
            return;
        }
        if (!expiredByGrid && !gridManager().commits().invalidate(this)) {
            return; // refused: the session lives on in the grid, this copy is gone
        }
        super.expire(notify);
    }

    /** Expiry decided by the grid's primary: fire Tomcat's expiry (listeners) without telling the grid again. */
    void expireFromGrid() {
        expiredByGrid = true;
        expire(true);
    }

    /**
     * Outside a request (Tomcat 11's {@code HttpSession.Accessor}, e.g. from a WebSocket handler) nothing
     * else commits, so the end of the access does. While a request uses the copy, that request's end
     * commits (also what an Accessor changed meanwhile), under its lock if it holds one.
     */
    @Override
    public void endAccess() {
        super.endAccess();
        if (RequestScope.current() == null && requestsInFlight.get() == 0 && isValid) {
            gridManager().commits().commitOutsideRequest(this);
        }
    }

    // ---- grid side ----------------------------------------------------------------------------

    /** Fills this (new, empty) copy from a record without firing any listener. */
    void load(SessionRecord r, String sessionId, AttributeCodec codec, ClassLoader loader) {
        loading = Thread.currentThread();
        try {
            SessionMeta m = r.meta();
            this.id = sessionId;
            this.creationTime = m.creationTime();
            this.lastAccessedTime = m.lastAccessedTime();
            this.thisAccessedTime = m.lastAccessedTime();
            this.maxInactiveInterval = m.maxInactiveInterval();
            this.storedAccessTime = m.lastAccessedTime();
            this.isNew = false;
            this.isValid = true;
            readAuth(m.containerData(), codec, loader);
            for (Map.Entry<String, Attribute> e : r.attributes().entrySet()) {
                loadAttribute(e.getKey(), e.getValue().value(), codec, loader);
            }
            this.record = r;
        } finally {
            loading = null;
        }
    }

    /**
     * Brings this copy to {@code current}: decodes the attributes that changed since {@link #record},
     * drops those removed elsewhere. Attributes a request on this node changed and has not committed
     * yet are left alone (that request's commit will merge them at the primary).
     */
    void refreshTo(SessionRecord current, AttributeCodec codec, ClassLoader loader) {
        SessionRecord old = record;
        if (current == old) {
            return;
        }
        loading = Thread.currentThread();
        try {
            for (Map.Entry<String, Attribute> e : current.attributes().entrySet()) {
                String name = e.getKey();
                Attribute a = e.getValue();
                if (changes.isPending(name)) {
                    continue;
                }
                if (old != null && a.version() <= old.version() && hashes.containsKey(name)) {
                    continue; // unchanged since the record this copy holds
                }
                Long h = hashes.get(name);
                if (h == null || h != codec.hash(a.value()) || !attributes.containsKey(name)) {
                    loadAttribute(name, a.value(), codec, loader);
                }
            }
            for (String name : hashes.keySet()) {
                if (!current.attributes().containsKey(name) && !changes.isWritten(name)) {
                    hashes.remove(name);
                    attributes.remove(name);
                }
            }
            SessionMeta m = current.meta();
            if (!changes.timeoutPending()) {
                this.maxInactiveInterval = m.maxInactiveInterval();
            }
            if (m.lastAccessedTime() > this.lastAccessedTime) {
                this.lastAccessedTime = m.lastAccessedTime();
            }
            noteStoredAccessTime(m.lastAccessedTime());
            if (!changes.authPending() && (old == null || !Arrays.equals(old.meta().containerData(), m.containerData()))) {
                readAuth(m.containerData(), codec, loader);
            }
            this.isNew = false;
            this.record = current;
        } finally {
            loading = null;
        }
    }

    private void loadAttribute(String name, byte[] bytes, AttributeCodec codec, ClassLoader loader) {
        hashes.put(name, codec.hash(bytes));
        try {
            Object value = codec.decode(name, bytes, loader);
            if (value == null) {
                attributes.remove(name);
            } else if (exclude(name, value)) {
                // sessionAttributeValueClassNameFilter / NameFilter: Tomcat's own allow-list applies to
                // what arrives from other nodes as well.
                attributes.remove(name);
                if (manager.getContext() != null && ((SessionGridManager) manager).getWarnOnSessionAttributeFilterFailure()) {
                    LOG.warn("Session attribute '{}' ({}) of session {} in {} was left out on this node: the"
                            + " manager's sessionAttributeNameFilter/sessionAttributeValueClassNameFilter rejects it",
                            name, value.getClass().getName(), id, gridManager().namespace());
                }
            } else {
                attributes.put(name, value);
            }
        } catch (UnreadableAttributeException e) {
            attributes.remove(name);
            gridManager().events().quarantined(id, e);
        }
    }

    private void readAuth(byte[] containerData, AttributeCodec codec, ClassLoader loader) {
        try {
            AuthState a = AuthState.decode(containerData, codec, loader);
            this.authType = a.authType();
            this.principal = a.principal();
        } catch (UnreadableAttributeException e) {
            this.authType = null;
            this.principal = null;
            gridManager().events().quarantined(id, e);
        }
    }

    /**
     * True if requests changed nothing but the access time since the last commit of this stored copy: no
     * attribute set or removed, none read that may have changed in place (a mutable value got by
     * {@link #getAttribute} counts as changed), no timeout or authentication change. Such a commit has nothing
     * to compare or send beyond the access time, which {@link #takeChanges} would find too, at the cost of
     * building an empty delta. A change another thread records after this answer stays for the next commit, as
     * one recorded after {@code takeChanges} would.
     */
    boolean unchangedSinceCommit() {
        return record != null && changes.isEmpty();
    }

    /** The time of this copy's latest access, which a commit sends to the grid. */
    long accessTime() {
        return thisAccessedTime;
    }

    /** The changes of the requests since the last commit, ready to send; see {@link Pending}. */
    Pending takeChanges(AttributeCodec codec) {
        Set<String> w = changes.takeWritten();
        Set<String> rd = changes.takeRead();
        Set<String> rm = changes.takeRemoved();
        boolean tc = changes.takeTimeoutChanged();
        boolean ac = changes.takeAuthChanged();
        boolean creating = record == null;

        SessionDelta.Builder b = SessionDelta.builder();
        Map<String, Long> newHashes = new HashMap<>();
        Iterable<String> names = creating ? attributes.keySet() : union(w, rd);
        for (String name : names) {
            Object v = attributes.get(name);
            if (v == null || exclude(name, v)) {
                continue;
            }
            byte[] bytes = changes.takeEncoded(name, v);
            try {
                // A known-immutable value serializes to the same bytes every time: the ones made at
                // setAttribute serve if the attribute still holds that very value.
                if (bytes == null) {
                    bytes = codec.encode(name, v);
                }
            } catch (AttributeEncodingException e) {
                // The value was accepted by setAttribute and changed in place since: keep the last
                // replicated state of this one attribute rather than failing the request.
                LOG.warn("Session attribute '{}' of session {} in {} was not replicated: {}", name, id,
                        gridManager().namespace(), e.getMessage());
                continue;
            }
            long h = codec.hash(bytes);
            Long known = hashes.get(name);
            if (creating || known == null || known != h) {
                b.set(name, bytes);
                newHashes.put(name, h);
            }
        }
        for (String name : rm) {
            if (!creating && !attributes.containsKey(name) && hashes.containsKey(name)) {
                b.remove(name);
            }
        }
        if (creating || tc) {
            b.maxInactiveInterval(maxInactiveInterval);
        }
        if (creating || ac) {
            AuthState auth = new AuthState(authType, principal);
            b.containerData(auth.isEmpty() ? null : auth.encode(codec));
        }
        if (creating) {
            b.creationTime(creationTime);
        }
        b.lastAccessedTime(thisAccessedTime);
        return new Pending(b.build(), newHashes, w, rd);
    }

    /** The commit of {@code p} succeeded with {@code result} (null: only an access-time touch). */
    void committed(Pending p, SessionRecord result, AttributeCodec codec, ClassLoader loader) {
        hashes.putAll(p.newHashes());
        p.delta().removed().forEach(hashes::remove);
        if (result != null) {
            noteStoredAccessTime(p.delta().lastAccessedTime());
            if (record == null) {
                record = result;
            } else {
                // Also picks up what concurrent requests on other nodes changed (merged by the primary).
                refreshTo(result, codec, loader);
            }
        }
    }

    /**
     * Whether an access at {@code accessTime} is worth telling the grid: not if the grid already holds an
     * access time less than {@code granularityMillis} before it. Access times may reach the primary that
     * much late anyway (expiry waits that much longer), so the end of a request whose commit carried its
     * start, within the same granularity, need not be sent again.
     */
    boolean accessNewerThanStored(long accessTime, long granularityMillis) {
        return accessTime - storedAccessTime >= granularityMillis;
    }

    /** The grid holds an access time of at least {@code t} (a commit or a touch carried it). */
    void noteStoredAccessTime(long t) {
        if (t > storedAccessTime) {
            storedAccessTime = t;
        }
    }

    /**
     * The commit of {@code p} ran before the request ended: the mutable attributes it read or set are
     * compared again at the request's end, so a change the application makes in place after its
     * response was committed is not lost.
     */
    void compareAgainLater(Pending p) {
        changes.readAgain(p.read(), attributes);
        changes.readAgain(p.written(), attributes);
    }

    /**
     * A commit of this copy failed: the request was answered 503 (or its changes were otherwise not
     * saved), so they must not reach the grid later. Keeping them for the next commit would write them
     * over whatever the session became meanwhile (another node served the user, the grid moved on
     * while this node was paused): an old counter would overwrite a newer one. The copy leaves this
     * node's map, so the next request loads the stored session; a request still holding it ends with it.
     */
    void forgetAfterFailedSave() {
        dropped = true;
        gridManager().remove(this, false);
    }

    /** True once a save failed: nothing of this copy reaches the grid any more (see forgetAfterFailedSave). */
    boolean dropped() {
        return dropped;
    }

    /** After the id moved in the grid (login): the record under the new id. */
    void moved(SessionRecord r) {
        record = r;
    }

    /**
     * This copy is stale or the session is gone from the grid: drop it without any listener (the
     * node that invalidated or expired it fired them).
     */
    void discard() {
        isValid = false;
        attributes.clear();
        hashes.clear();
        changes.clearEncoded();
        gridManager().remove(this, false);
    }

    /**
     * True if this copy may leave memory at {@code now}: no request used it for {@code idleMillis}, none holds it,
     * and nothing lives only in it: it is stored and unchanged since its commit, and it has no Tomcat notes (a FORM
     * login in progress keeps its saved request there) and no Tomcat session listener (single sign-on registers
     * one), neither of which the grid's record carries.
     */
    boolean idleAndOnlyInGrid(long now, long idleMillis) {
        return record != null && isValid && !dropped && requestsInFlight.get() == 0 && unchangedSinceCommit()
                && notes.isEmpty() && listeners.isEmpty() && now - Math.max(thisAccessedTime, lastAccessedTime) >= idleMillis;
    }

    /** True if no request on this node used the copy for longer than the session's timeout. */
    boolean idleLongerThanTimeout(long now, long slackMillis) {
        return record != null && maxInactiveInterval > 0
                && now - thisAccessedTime > maxInactiveInterval * 1000L + slackMillis;
    }

    /** This copy's grid key (its id without route), computed once per id. */
    String key() {
        KeyOf k = keyOfId;
        String current = id;
        if (k == null || k.id() != current) {
            k = new KeyOf(current, SessionGridManager.key(current));
            keyOfId = k;
        }
        return k.key();
    }

    /**
     * This copy's id if its route was found to name the primary under {@code topologyId} and the id has not changed
     * since, else null: the owners of a session change only with the topology, so the route needs no new look-up.
     */
    String routeCheckedUnder(long topologyId) {
        RouteCheck c = routeCheck;
        String current = id;
        return c != null && c.topologyId() == topologyId && c.id() == current ? current : null;
    }

    /** The route of this copy's current id names the session's primary under {@code topologyId}. */
    void routeChecked(long topologyId) {
        routeCheck = new RouteCheck(id, topologyId);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        if (b.isEmpty()) {
            return a;
        }
        Set<String> u = new LinkedHashSet<>(a);
        u.addAll(b);
        return u;
    }

    /** An id whose route named the session's primary under a topology (the id compared by identity). */
    private record RouteCheck(String id, long topologyId) {
    }

    /** An id and its grid key (the id compared by identity). */
    private record KeyOf(String id, String key) {
    }

    /**
     * The changes taken for one commit.
     *
     * @param delta      what travels to the primary
     * @param newHashes  hashes of the attributes in {@code delta}
     * @param written    names set since the previous commit (compared again at the request's end when the
     *                   commit ran before it, see {@link #compareAgainLater})
     * @param read       mutable attributes read since the previous commit (likewise)
     */
    record Pending(SessionDelta delta, Map<String, Long> newHashes, Set<String> written, Set<String> read) {
    }
}
