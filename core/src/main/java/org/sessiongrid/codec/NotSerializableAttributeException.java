package org.sessiongrid.codec;

import java.util.Optional;

/**
 * A session attribute's value, or an object it references, does not implement
 * {@link java.io.Serializable}, so it cannot be replicated to other nodes.
 */
public final class NotSerializableAttributeException extends AttributeEncodingException {

    private static final long serialVersionUID = 1L;

    /** The class that is not serializable. */
    private final String offendingType;
    /** Where it sits in the value, or null if not found. */
    private final String path;

    /**
     * @param attribute the attribute name
     * @param valueType the class name of the attribute's value
     * @param offendingType the class that is not serializable (the value's own class, or a
     *        nested one)
     * @param path where the offending object sits in the value, e.g. {@code lines[2].thing}
     *        ({@code ""} when it is the value itself), or {@code null} if it could not be found
     * @param cause the {@link java.io.NotSerializableException}
     */
    public NotSerializableAttributeException(String attribute, String valueType, String offendingType,
            String path, Throwable cause) {
        super(attribute, valueType, message(attribute, valueType, offendingType, path), cause);
        this.offendingType = offendingType;
        this.path = path;
    }

    private static String message(String attribute, String valueType, String offendingType, String path) {
        String head = "attribute '" + attribute + "' (" + valueType + ") is not serializable: ";
        String lambda = offendingType.contains("$$Lambda")
                ? " (it is a lambda: cast it to an interface that extends java.io.Serializable, or keep it out of the session)"
                : "";
        if (offendingType.equals(valueType) && (path == null || path.isEmpty())) {
            return head + offendingType + " does not implement java.io.Serializable" + lambda
                    + "; make it Serializable or keep it out of the session";
        }
        if (path != null && !path.isEmpty()) {
            return head + "field " + path + " holds a " + offendingType
                    + ", which does not implement java.io.Serializable" + lambda + "; make "
                    + offendingType + " Serializable or mark the field transient";
        }
        return head + "it contains a value of type " + offendingType
                + ", which does not implement java.io.Serializable" + lambda + "; make " + offendingType
                + " Serializable or mark the field that holds it transient";
    }

    /** @return the class name of the object that is not serializable */
    public String offendingType() {
        return offendingType;
    }

    /**
     * @return where the offending object sits inside the value, e.g. {@code lines[2].thing}
     *         (empty when it is the value itself), if it could be found
     */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }
}
