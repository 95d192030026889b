package org.sessiongrid.codec;

import java.util.Objects;
import java.util.Optional;

/**
 * A replicated session attribute could not be deserialized. The store quarantines the attribute
 * (see {@link QuarantinedAttribute}) and keeps the rest of the session; the message names the
 * attribute, the class involved where known, and the fix.
 */
public final class UnreadableAttributeException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an attribute could not be read. */
    public enum Reason {
        /**
         * A class in the graph was rejected by the built-in deny list, by the user's
         * {@code deserializationFilter} patterns or by the JVM-wide serial filter, or the graph
         * exceeded {@code maxdepth}, {@code maxrefs} or {@code maxarray}.
         */
        REJECTED_BY_FILTER,
        /** A class in the graph is not visible to the webapp class loader on this node. */
        CLASS_NOT_FOUND,
        /** The bytes are not a valid serialized object (truncated, garbled, trailing bytes). */
        CORRUPT,
        /** The record is larger than {@code maxbytes}, or its graph is nested too deeply for the stack. */
        TOO_LARGE,
        /**
         * A class in the graph differs from the one that wrote it: a different
         * {@code serialVersionUID}, a removed enum constant, a class that is no longer
         * serializable.
         */
        INCOMPATIBLE_CLASS
    }

    /** The attribute name. */
    private final String attribute;
    /** Why it could not be read. */
    private final Reason reason;
    /** The class involved, or null. */
    private final String className;

    /**
     * @param attribute the attribute name
     * @param reason why it could not be read
     * @param className the class involved, or {@code null} if unknown
     * @param message the complete message, naming the problem and the fix
     * @param cause the underlying failure, or {@code null}
     */
    public UnreadableAttributeException(String attribute, Reason reason, String className, String message,
            Throwable cause) {
        super(message, cause);
        this.attribute = Objects.requireNonNull(attribute, "attribute");
        this.reason = Objects.requireNonNull(reason, "reason");
        this.className = className;
    }

    /** @return the name of the attribute that could not be read */
    public String attribute() {
        return attribute;
    }

    /** @return why it could not be read */
    public Reason reason() {
        return reason;
    }

    /** @return the class involved (rejected, missing or incompatible), if known */
    public Optional<String> className() {
        return Optional.ofNullable(className);
    }
}
