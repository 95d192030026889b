package org.sessiongrid.codec;

/**
 * A session attribute's serialized form is larger than the {@code maxbytes} limit of
 * {@code deserializationFilter}, so the other nodes would refuse to read it.
 */
public final class AttributeTooLargeException extends AttributeEncodingException {

    private static final long serialVersionUID = 1L;

    /** Serialized size in bytes. */
    private final long size;
    /** The maxbytes limit. */
    private final long limit;

    /**
     * @param attribute the attribute name
     * @param valueType the class name of the attribute's value
     * @param size the size of the serialized value in bytes
     * @param limit the {@code maxbytes} limit in bytes
     */
    public AttributeTooLargeException(String attribute, String valueType, long size, long limit) {
        super(attribute, valueType, "attribute '" + attribute + "' (" + valueType + ") is " + size
                + " bytes serialized, over the limit of " + limit + " bytes; store less in the"
                + " session, or raise the limit with 'maxbytes=N' in the "
                + DeserializationPolicy.SETTING + " setting on every node", null);
        this.size = size;
        this.limit = limit;
    }

    /** @return the size of the serialized value in bytes */
    public long size() {
        return size;
    }

    /** @return the {@code maxbytes} limit in bytes */
    public long limit() {
        return limit;
    }
}
