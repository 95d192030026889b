package org.sessiongrid.jgroups;

import java.util.List;
import java.util.Objects;

/**
 * How a member's channel is protected, as {@link StackLoader#newChannel(String, java.util.Properties,
 * ChannelSecurity)} applies it:
 * <ul>
 *   <li>{@link #sealed(String, List)}: every message is sealed with a key derived from the cluster
 *       secret ({@link SEAL}); a host without the secret can neither join, read nor write.</li>
 *   <li>{@link #protectedMode(String)}: no secret; the channel may bind only loopback addresses
 *       (or run on a stack with mutual TLS), otherwise it refuses to start with a message naming
 *       the settings to add. The default.</li>
 *   <li>{@link #none()}: no secret and no check, whatever the address ({@code security=none}, for
 *       labs).</li>
 * </ul>
 * The setting names in messages are the grid's ({@code clusterSecret}, {@code clusterSecretFile},
 * {@code security}).
 */
public final class ChannelSecurity {

    private final String clusterName;
    private final List<String> secrets;
    private final boolean check;

    private ChannelSecurity(String clusterName, List<String> secrets, boolean check) {
        this.clusterName = clusterName;
        this.secrets = secrets;
        this.check = check;
    }

    /**
     * Seals every message with keys derived from {@code secrets} and {@code clusterName}.
     *
     * @param secrets the first seals, every one opens (rotation); each at least 16 characters
     */
    public static ChannelSecurity sealed(String clusterName, List<String> secrets) {
        Objects.requireNonNull(clusterName, "clusterName");
        if (secrets == null || secrets.isEmpty()) {
            throw new IllegalArgumentException("a sealed channel needs at least one secret");
        }
        return new ChannelSecurity(clusterName, List.copyOf(secrets), true);
    }

    /** No secret: the channel must bind loopback addresses only, or use mutual TLS. */
    public static ChannelSecurity protectedMode(String clusterName) {
        return new ChannelSecurity(Objects.requireNonNull(clusterName, "clusterName"), List.of(), true);
    }

    /** No secret and no check ({@code security=none}). */
    public static ChannelSecurity none() {
        return new ChannelSecurity(null, List.of(), false);
    }

    /** True if messages are sealed. */
    public boolean isSealed() {
        return !secrets.isEmpty();
    }

    /** True if a channel without secret must keep to loopback addresses (or TLS). */
    boolean checksAddresses() {
        return check && secrets.isEmpty();
    }

    String clusterName() {
        return clusterName;
    }

    List<String> secrets() {
        return secrets;
    }

    @Override
    public String toString() {
        return isSealed() ? "sealed (" + secrets.size() + " secret" + (secrets.size() == 1 ? ")" : "s)")
                : check ? "protected mode" : "none";
    }
}
