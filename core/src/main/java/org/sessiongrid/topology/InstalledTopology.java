package org.sessiongrid.topology;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The topology this node has installed, and a way to wait for a newer one. Topologies are
 * installed only in increasing id order; an older or equal one arriving late is ignored.
 *
 * <p>Guarded by one lock, held only to swap the value and signal waiters; readers use the volatile
 * field without locking.
 *
 * <p>Changes to records made under a topology (a primary's commit, a backup applying it) run inside
 * {@link #enterChange}/{@link #exitChange}, and {@link #install} waits for those in progress. So once
 * a member has installed a newer topology, no change of an older one lands in its store afterwards:
 * whatever a new owner pulls from it under the newer topology already holds every change this member
 * made or accepted under the older one. Without it a write acknowledged under the old topology could
 * land just after its segment was copied to the new owner, which would then serve the session without it.
 */
public final class InstalledTopology {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ReentrantReadWriteLock changes = new ReentrantReadWriteLock();
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
        changes.writeLock().lock();
        try {
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
        } finally {
            changes.writeLock().unlock();
        }
    }

    /**
     * Begins a change made under topology {@code id}, waiting while a newer topology is being
     * installed. Returns false (and holds nothing) when {@code id} is not the installed topology;
     * otherwise the caller must call {@link #exitChange()}. For a primary's commit, which may wait for
     * its backups while inside.
     */
    public boolean enterChange(long id) {
        changes.readLock().lock();
        if (id() != id) {
            changes.readLock().unlock();
            return false;
        }
        return true;
    }

    /**
     * As {@link #enterChange}, but never waits behind an install that is waiting for changes in
     * progress: a backup applying a primary's change must not wait for its own install, which may be
     * waiting for a commit of this member that waits for that primary (each would wait for the other
     * until the remote timeout). Returns false when an install holds the lock right now or {@code id}
     * is not installed; the primary then retries.
     */
    public boolean tryEnterChange(long id) {
        // ReadLock.tryLock() takes the lock even when a writer is queued (it only fails while one holds it).
        if (!changes.readLock().tryLock()) {
            return false;
        }
        if (id() != id) {
            changes.readLock().unlock();
            return false;
        }
        return true;
    }

    /** Returns once every change in progress now has ended (changes begun later are not waited for). */
    public void awaitChangesInProgress() {
        changes.writeLock().lock();
        changes.writeLock().unlock();
    }

    /** Ends a change begun by {@link #enterChange} or {@link #tryEnterChange}. */
    public void exitChange() {
        changes.readLock().unlock();
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
