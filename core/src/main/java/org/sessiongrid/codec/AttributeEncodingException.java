package org.sessiongrid.codec;

/**
 * A session attribute could not be encoded for replication. Thrown by
 * {@link AttributeCodec#encode(String, Object)}, which the container adapters call from
 * {@code setAttribute} or at commit, so the application sees it where it stored the value.
 *
 * <p>The subclasses name the common causes; this class itself is thrown when the value's own
 * serialization code fails (a {@code writeObject} method throwing, another thread modifying a
 * collection while it is written, a graph nested too deeply for the stack) or when the value
 * contains a class that {@code deserializationFilter} would reject on the other nodes.
 */
public class AttributeEncodingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The attribute name. */
    private final String attribute;
    /** The class name of the attribute's value. */
    private final String valueType;

    /**
     * @param attribute the attribute name
     * @param valueType the class name of the attribute's value ({@code null} for a null value)
     * @param message the complete message, naming the problem and the fix
     * @param cause the underlying failure, or {@code null}
     */
    public AttributeEncodingException(String attribute, String valueType, String message, Throwable cause) {
        super(message, cause);
        this.attribute = attribute;
        this.valueType = valueType;
    }

    /** @return the name of the attribute that could not be encoded */
    public String attribute() {
        return attribute;
    }

    /** @return the class name of the attribute's value */
    public String valueType() {
        return valueType;
    }
}
