package org.sessiongrid.transport;

/** The target of a request is not (or no longer) in the view: retry under a newer topology. */
public final class MemberGoneException extends Exception {
    public MemberGoneException(String message) {
        super(message, null, false, false);
    }
}
