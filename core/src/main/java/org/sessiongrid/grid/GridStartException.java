package org.sessiongrid.grid;

/** The grid could not start: bad stack, refused by the cluster (settings differ), or no coordinator answered. */
public class GridStartException extends GridException {
    public GridStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
