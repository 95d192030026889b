package org.sessiongrid.grid;

/**
 * The grid could not complete an operation in time: the segment's primary did not answer within
 * {@code remoteTimeout}, or no topology could be agreed (for example during a long partition).
 * Nothing was acknowledged; the caller may retry.
 */
public class GridUnavailableException extends GridException {
    public GridUnavailableException(String message) {
        super(message);
    }

    public GridUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
