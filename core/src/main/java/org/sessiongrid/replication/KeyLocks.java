package org.sessiongrid.replication;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.sessiongrid.session.SessionKey;

/**
 * Serializes a primary's writes of one session: a write holds its key's lock from reading the
 * current record until every backup acknowledged, so the backups see one session's changes in the
 * primary's order and the version chain has no gaps.
 *
 * <p>Striped: two sessions may share a lock. That costs some false contention and saves a map
 * entry (and its cleanup) per session; 4096 stripes keep the chance of sharing small for the
 * concurrency a node sees.
 */
public final class KeyLocks {

    private final ReentrantLock[] stripes;
    private final Condition[] released;

    public KeyLocks(int stripes) {
        int n = Integer.highestOneBit(Math.max(1, stripes - 1)) << 1;
        this.stripes = new ReentrantLock[n];
        this.released = new Condition[n];
        for (int i = 0; i < n; i++) {
            this.stripes[i] = new ReentrantLock();
            this.released[i] = this.stripes[i].newCondition();
        }
    }

    private int index(SessionKey key) {
        int h = key.hashCode();
        h ^= (h >>> 16);
        return h & (stripes.length - 1);
    }

    public ReentrantLock lockFor(SessionKey key) {
        return stripes[index(key)];
    }

    /**
     * Signalled (under {@link #lockFor}) when a session lock of this stripe is released; waiters
     * re-check their own key, since a stripe is shared.
     */
    public Condition releasedFor(SessionKey key) {
        return released[index(key)];
    }
}
