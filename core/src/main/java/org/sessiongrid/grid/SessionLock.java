package org.sessiongrid.grid;

/**
 * A held per-session lock (setting {@code lockingMode}). The lock lives at the session's primary,
 * is fenced by topology id, and is released when its holder's member dies. Close it when the
 * request ends.
 */
public interface SessionLock extends AutoCloseable {

    /** Releases the lock; idempotent. */
    @Override
    void close();
}
