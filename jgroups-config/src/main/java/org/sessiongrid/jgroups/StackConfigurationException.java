package org.sessiongrid.jgroups;

/**
 * A JGroups stack could not be loaded or turned into a channel: the stack name is unknown, the file
 * or URL cannot be read, the XML is malformed, a required property is missing, or JGroups rejected
 * the configuration.
 *
 * <p>The message is meant for the operator, verbatim: it names the stack (shipped name, file, URL or
 * class-path resource), the problem and, where there is one, the fix; for example
 * {@code stack 'kubernetes' needs property sessiongrid.dnsQuery (set it as a system property
 * -Dsessiongrid.dnsQuery=... or in the container configuration)}. The cause, if any, is the
 * underlying I/O, XML or JGroups exception.
 *
 * <p>The exception is checked on purpose. Every cause is a configuration mistake that only the
 * deployer can fix, and the code that picks the stack (a Tomcat {@code Manager}, a Jetty
 * {@code SessionDataStore}) must turn it into a failed start of its component with this message. A
 * checked exception makes each adapter decide that explicitly instead of letting a runtime
 * exception escape into the container's lifecycle code, where it is often logged as an internal
 * error with a stack trace and the actionable message gets lost.
 */
public class StackConfigurationException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception for a problem detected by SessionGrid itself.
     *
     * @param message what is wrong and how to fix it, naming the stack
     */
    public StackConfigurationException(String message) {
        super(message);
    }

    /**
     * Creates an exception for a problem reported by the I/O layer, the XML parser or JGroups.
     *
     * @param message what is wrong, naming the stack; should include the cause's own message
     * @param cause   the exception that reported the problem
     */
    public StackConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
