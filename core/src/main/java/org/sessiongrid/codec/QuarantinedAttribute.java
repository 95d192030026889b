package org.sessiongrid.codec;

import java.util.Objects;

/**
 * A session attribute that could not be read on this node. The store keeps and counts these
 * instead of failing the session: the rest of the session stays usable and the operator sees
 * what was dropped and why.
 *
 * @param namespace the session namespace (webapp) the session belongs to
 * @param sessionId the session id
 * @param attribute the attribute name
 * @param reason why it could not be read
 * @param message the explanation, naming the class involved and the fix
 */
public record QuarantinedAttribute(String namespace, String sessionId, String attribute,
        UnreadableAttributeException.Reason reason, String message) {

    /**
     * Checks that no component is null.
     *
     * @param namespace the session namespace (webapp) the session belongs to
     * @param sessionId the session id
     * @param attribute the attribute name
     * @param reason why it could not be read
     * @param message the explanation, naming the class involved and the fix
     */
    public QuarantinedAttribute {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(attribute, "attribute");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    /**
     * The report for an attribute {@link AttributeCodec#decode(String, byte[], ClassLoader)}
     * could not read.
     *
     * @param namespace the session namespace
     * @param sessionId the session id
     * @param failure the decode failure
     * @return the report
     */
    public static QuarantinedAttribute of(String namespace, String sessionId, UnreadableAttributeException failure) {
        return new QuarantinedAttribute(namespace, sessionId, failure.attribute(), failure.reason(),
                failure.getMessage());
    }
}
