package org.sessiongrid.grid;

/** A session with this id already exists (or existed recently): mint another id. */
public class SessionExistsException extends GridException {
    public SessionExistsException(String message) {
        super(message);
    }
}
