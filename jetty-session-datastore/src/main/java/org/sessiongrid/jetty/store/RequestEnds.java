package org.sessiongrid.jetty.store;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.session.SessionData;
import org.sessiongrid.grid.SessionGoneException;
import org.sessiongrid.session.SessionRecord;

/**
 * A request's end of its session (an invalidation) and its move to a new id (Jetty's {@code renewId}, the
 * login's session fixation protection), sent to the grid with the record the request's copy was read as,
 * before Jetty runs the listeners: the grid refuses either if the session changed since under a topology
 * newer than the one it was read under (a request that started before a failover this member did not see
 * must not end the session the user went on using elsewhere, nor launder the values it computed then onto
 * the moved record). Jetty only asks the store to delete after the listeners ran, and names no copy there.
 *
 * <p>Thread-safety: one request ends or moves one copy at a time, under the copy's lock; the set of ended
 * ids is concurrent.
 */
final class RequestEnds {

    private final RecordWriter writer;
    private final AttributeDiff diff;
    private final ExpiryClaims expiry;

    /** Sessions a request on this node ended before Jetty ran their listeners, until Jetty's delete. */
    private final Set<String> endedByRequest = ConcurrentHashMap.newKeySet();

    RequestEnds(RecordWriter writer, AttributeDiff diff, ExpiryClaims expiry) {
        this.writer = writer;
        this.diff = diff;
        this.expiry = expiry;
    }

    /**
     * Ends session {@code id}, whose copy is {@code data}, for a request's invalidation. Jetty's delete that
     * follows asks the grid nothing more ({@link #takeEnded}).
     *
     * @return false if the grid holds nothing of this copy (a new session never saved): Jetty's delete ends
     *         it as for any session
     * @throws org.sessiongrid.grid.SessionFencedException if the grid refused: the session lives on
     */
    boolean invalidate(String id, SessionData data) throws InterruptedException {
        AttributeDiff.Seen seen = diff.seen(id, data);
        if (seen == null) {
            return false;
        }
        writer.invalidate(id, seen.record());
        endedByRequest.add(id);
        return true;
    }

    /**
     * Moves session {@code oldId}, whose copy is {@code data}, to {@code newId}: the old id ends, and the
     * moved record becomes the copy's base, so that its unsaved changes commit on it.
     *
     * @return false if the grid holds nothing of this copy to move (a new session never saved, or a record
     *         lost with all its owners): its next save writes it whole under the new id
     * @throws org.sessiongrid.grid.SessionFencedException if the grid refused: nothing was moved
     * @throws SessionGoneException if the session was invalidated meanwhile
     */
    boolean changeId(String oldId, String newId, SessionData data) {
        AttributeDiff.Seen seen = diff.seen(oldId, data);
        if (seen == null) {
            return false;
        }
        SessionRecord moved;
        try {
            moved = writer.changeId(oldId, newId, seen.record());
        } catch (SessionGoneException e) {
            if (e.invalidated()) {
                throw e;
            }
            return false;
        }
        diff.moved(newId, data, seen, moved);
        expiry.ended(oldId);
        return true;
    }

    /** True, once, for a session a request ended through {@link #invalidate}: Jetty's delete of it now. */
    boolean takeEnded(String id) {
        return endedByRequest.remove(id);
    }

    void clear() {
        endedByRequest.clear();
    }
}
