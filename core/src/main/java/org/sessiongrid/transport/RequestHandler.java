package org.sessiongrid.transport;

import org.sessiongrid.placement.Member;
import org.sessiongrid.wire.GridMessage;

/**
 * Handles a decoded request from another member.
 *
 * <p>The transport first offers every request to {@link #handleWithoutBlocking} on the JGroups
 * thread that delivered it, and hands it to {@link #handle} on its own executor when that declines.
 * A JGroups thread must never block: replies, view changes and failure detection of the whole member
 * are delivered by the same threads, and a primary's commit waits for its backups' replies, so
 * handlers blocked on JGroups threads could starve the very replies they wait for.
 */
@FunctionalInterface
public interface RequestHandler {

    /** Answers the request; runs on the transport's executor and may block. */
    GridMessage handle(Member sender, GridMessage request);

    /**
     * Answers the request right away on the JGroups thread that delivered it, or returns null to have
     * {@link #handle} answer it on the executor. An answer saves a hand-off between threads on a path
     * every write takes (a backup applying its primary's change).
     *
     * <p>An implementation must not block in any way: no waiting for a lock another thread may hold
     * for long, a condition, a topology, a view or a reply; no sleeping; no sending (the transport sends
     * the answer in a way that cannot block). Whenever answering would need any of that, it returns null,
     * and then it must not have changed anything, since {@link #handle} gets the same request next.
     * The default declines everything.
     */
    default GridMessage handleWithoutBlocking(Member sender, GridMessage request) {
        return null;
    }
}
