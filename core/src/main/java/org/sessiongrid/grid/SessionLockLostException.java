package org.sessiongrid.grid;

/**
 * A commit made under a session lock that is no longer held (its holder was presumed dead and the
 * lock released). Nothing was applied; the request must fail rather than proceed without the lock.
 */
public class SessionLockLostException extends GridException {
    public SessionLockLostException(String message) {
        super(message);
    }
}
