package org.sessiongrid.grid;

/**
 * The per-session lock could not be acquired within {@code lockTimeout}: another request holds it.
 * The request must not proceed without it.
 */
public class SessionLockTimeoutException extends GridException {
    public SessionLockTimeoutException(String message) {
        super(message);
    }
}
