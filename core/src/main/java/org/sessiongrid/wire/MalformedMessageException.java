package org.sessiongrid.wire;

/**
 * A message that cannot be decoded: truncated, oversized, of an unknown format version or type, or
 * with trailing bytes. The receiver drops it and counts the drop; nothing else changes.
 */
public final class MalformedMessageException extends Exception {

    /** Why a message was dropped; the drop counters are kept per reason. */
    public enum Reason { TRUNCATED, OVERSIZED, WRONG_VERSION, UNKNOWN_TYPE, INVALID_VALUE, TRAILING_BYTES }

    private final Reason reason;

    public MalformedMessageException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
