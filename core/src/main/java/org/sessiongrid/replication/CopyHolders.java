package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.Messenger;

/**
 * The members (by id) that read or committed a session through this primary since its last change: they hold
 * a copy and are told, through {@link ChangeNotifier}, when it goes stale. Cleared on every change,
 * and for the sessions of a segment this member no longer leads.
 *
 * <p>Threading: thread-safe; one concurrent map, changed by the threads that serve reads and commits at the
 * primary. A change of a session and its notice run under the session's key lock ({@link PrimaryRole}); a read
 * adds its reader without taking that lock.
 */
final class CopyHolders {

    private final Messenger messenger;
    private final RecordStore records;
    private final ChangeNotifier notifier;
    private final ConcurrentHashMap<SessionKey, Set<String>> holders = new ConcurrentHashMap<>();

    CopyHolders(Messenger messenger, RecordStore records, ChangeNotifier notifier) {
        this.messenger = messenger;
        this.records = records;
        this.notifier = notifier;
    }

    /** Records that {@code memberId} holds a copy of the session. */
    void add(SessionKey key, String memberId) {
        holders.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(memberId);
    }

    /**
     * Notifies the holders of stale copies; the committer (if remote) holds the new one.
     *
     * @param senderId the member that made the change, or null when it was made here
     * @param live     whether the session lives on after the change (its committer then holds a copy)
     */
    void changed(SessionKey key, long version, String senderId, boolean live) {
        Set<String> was = holders.remove(key);
        // A sticky write (made here, no copy elsewhere) stales nothing: no list is made for it.
        if (was != null || senderId != null) {
            List<String> stale = new ArrayList<>();
            if (was != null) {
                was.stream().filter(h -> !h.equals(senderId)).forEach(stale::add);
            }
            if (senderId != null) {
                // A change made elsewhere also makes this member's own container copy stale.
                stale.add(messenger.self().id());
            }
            if (!stale.isEmpty()) {
                notifier.changed(key, version, stale);
            }
        }
        if (live && senderId != null) {
            add(key, senderId);
        }
    }

    /** Forgets copy holders of sessions whose segment this member is no longer primary of. */
    void forgetElsewhere(Topology t) {
        Member me = messenger.self();
        holders.keySet().removeIf(k -> !me.equals(t.primary(records.segmentOf(k))));
    }
}
