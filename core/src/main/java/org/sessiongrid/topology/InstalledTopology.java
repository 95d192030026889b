package org.sessiongrid.topology;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The topology this node has installed, and a way to wait for a newer one. Topologies are
 * installed only in increasing id order; an older or equal one arriving late is ignored.
 *
 * <p>Guarded by one lock, held only to swap the value and signal waiters; readers use the volatile
 * field without locking.
 */
public final class InstalledTopology {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile Topology topology;

    /** The installed topology, or null before the node joined. */
    public Topology get() {
        return topology;
    }

    /** The installed topology id, or 0 before the node joined. */
    public long id() {
        Topology t = topology;
        return t == null ? 0 : t.id();
    }

    /** Installs {@code t} if it is newer than the installed one; returns whether it was installed. */
    public boolean install(Topology t) {
        lock.lock();
        try {
            if (topology != null && topology.id() >= t.id()) {
                return false;
            }
            topology = t;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the topology (the node left or was shut down); wakes every waiter. */
    public void clear() {
        lock.lock();
        try {
            topology = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a topology with id at least {@code id} is installed, or the deadline passes.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline
     * @return the installed topology (possibly still older than {@code id} if the deadline passed)
     */
    public Topology awaitAtLeast(long id, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (topology == null || topology.id() < id) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return topology;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeout} for a topology newer than {@code id}. */
    public Topology awaitNewerThan(long id, long timeout, TimeUnit unit) throws InterruptedException {
        return awaitAtLeast(id + 1, System.nanoTime() + unit.toNanos(timeout));
    }
}
