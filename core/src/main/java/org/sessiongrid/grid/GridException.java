package org.sessiongrid.grid;

/** Base of the grid's runtime exceptions; the message names the problem and, where there is one, the fix. */
public class GridException extends RuntimeException {
    public GridException(String message) {
        super(message);
    }

    public GridException(String message, Throwable cause) {
        super(message, cause);
    }
}
