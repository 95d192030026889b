package org.sessiongrid.grid;

/** The session does not exist (any more) in the grid: it expired, was invalidated, or was never created. */
public class SessionGoneException extends GridException {
    private final boolean invalidated;

    public SessionGoneException(String message, boolean invalidated) {
        super(message);
        this.invalidated = invalidated;
    }

    /** True if a tombstone says the session was invalidated (rather than never seen or expired and purged). */
    public boolean invalidated() {
        return invalidated;
    }
}
