package org.sessiongrid.grid;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongPredicate;

import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container adapters' {@link SessionListener}s on this member, one per namespace, and the delivery
 * of events to them: expiries (from the expiry pass), change notices (from this member's primaries, here
 * or by message to the members holding a copy).
 *
 * <p>Thread-safe: the listeners and the muted namespaces are concurrent collections. A namespace whose
 * listener is being removed is muted first (not expired here any more), and the listener goes only once
 * the expiry pass in flight, which may be about to call it, has finished.
 */
final class Listeners {

    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    /** How long removing a listener waits for an expiry pass in flight (that may be calling it). */
    static final long REMOVAL_WAIT_MILLIS = 10_000;

    private final Map<String, SessionListener> byNamespace = new ConcurrentHashMap<>();
    /** Namespaces whose listener was removed on this member: it does not expire their sessions. */
    private final Set<String> muted = ConcurrentHashMap.newKeySet();
    private final LongPredicate awaitExpiryPass;
    private final ClusterTransport transport;
    private final Executor deliveries;
    private final long remoteTimeout;

    /**
     * @param awaitExpiryPass waits up to the given milliseconds for the expiry pass in flight; false if it
     *                        did not finish
     * @param deliveries      runs the change notices of this member's own listeners
     */
    Listeners(LongPredicate awaitExpiryPass, ClusterTransport transport, Executor deliveries, long remoteTimeout) {
        this.awaitExpiryPass = awaitExpiryPass;
        this.transport = transport;
        this.deliveries = deliveries;
        this.remoteTimeout = remoteTimeout;
    }

    /** Sets the listener of {@code namespace}; null removes it (see {@link #remove}). */
    void set(String namespace, SessionListener listener) {
        if (listener == null) {
            remove(namespace);
        } else {
            byNamespace.put(namespace, listener);
            muted.remove(namespace);
        }
    }

    /**
     * Stops expiring {@code namespace} here and removes its listener once the expiry pass in flight, which
     * may be about to call it, has finished: an expiry announced here is then called, not dropped.
     */
    private void remove(String namespace) {
        muted.add(namespace);
        if (!awaitExpiryPass.test(REMOVAL_WAIT_MILLIS)) {
            LOG.warn("The expiry pass did not finish within {} ms while the listener of {} was removed; an expiry it"
                    + " announces now is not called", REMOVAL_WAIT_MILLIS, namespace);
        }
        byNamespace.remove(namespace);
    }

    /** Whether this member leaves the sessions of {@code namespace} alone (its webapp stopped here). */
    boolean muted(String namespace) {
        return muted.contains(namespace);
    }

    /** Whether an expiry of {@code namespace} can be told to its container on this member now. */
    boolean announceable(String namespace) {
        SessionListener l = byNamespace.get(namespace);
        return l != null && !muted.contains(namespace) && l.accepting();
    }

    /** Tells the namespace's listener that its session expired. */
    void expired(SessionRecord r) {
        SessionListener l = byNamespace.get(r.key().namespace());
        if (l != null) {
            l.expired(r);
        } else {
            // Asked right before the announcement (announceable), and a listener is removed only after the
            // pass in flight: this is a listener removed after waiting longer than REMOVAL_WAIT_MILLIS.
            LOG.warn("Session {} expired with no listener for {} on this member: its sessionDestroyed listeners"
                    + " are not called", r.key().id(), r.key().namespace());
        }
    }

    /** A change notice for this member's listener (from another member's primary, or this one's). */
    void changed(SessionKey key, long version) {
        SessionListener l = byNamespace.get(key.namespace());
        if (l != null) {
            l.changed(key.id(), version);
        }
    }

    /**
     * Tells the members that hold a copy of a session (by id) that it changed; nobody when this member's own
     * listener of the namespace takes no notices ({@link SessionListener#takesChanges}).
     */
    void notifyChanged(SessionKey key, long version, List<String> memberIds) {
        SessionListener own = byNamespace.get(key.namespace());
        if (own != null && !own.takesChanges()) {
            return;
        }
        GridMessage.Changed notice = new GridMessage.Changed(key, version);
        String self = transport.self().id();
        for (String id : memberIds) {
            if (id.equals(self)) {
                if (own != null) {
                    deliveries.execute(() -> own.changed(key.id(), version));
                }
                continue;
            }
            // The view's members by id, which the transport keeps with the view: a notice goes out on every write
            // to a session another member read, too often to derive the view's members for each.
            Member m = transport.memberById(id);
            if (m != null) {
                transport.request(m, notice, remoteTimeout);
            }
        }
    }
}
