package org.sessiongrid.grid;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Settings of one grid member. Names are the same everywhere: the Tomcat {@code <Manager>}
 * attribute, the Jetty property {@code sessiongrid.<name>} and the system property
 * {@code sessiongrid.<name>}. Immutable; build with {@link #builder(String)}.
 *
 * <p>{@code numSegments} and {@code numOwners} must be equal on every member of a cluster; a member
 * with other values is refused at join with a message saying so.
 */
public final class GridConfig {

    /** Prefix of the system-property and Jetty-property form of every setting. */
    public static final String PREFIX = "sessiongrid.";

    /**
     * The {@code sessiongrid.*} entries of {@code props} (for example {@link System#getProperties()}) as
     * strings, in iteration order: what the adapters read their fallbacks from.
     */
    public static Map<String, String> prefixed(Map<?, ?> props) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<?, ?> e : props.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (k.startsWith(PREFIX)) {
                out.put(k, String.valueOf(e.getValue()));
            }
        }
        return out;
    }

    /** Every setting name this class understands, for error messages and documentation. */
    public static final List<String> SETTINGS = List.of("clusterName", "stack", "nodeName", "site", "rack", "machine",
            "numOwners", "numSegments", "replicationMode", "remoteTimeout", "backupTimeout", "failureDetectionTimeout",
            "tombstoneTimeout", "joinTimeout", "leaveTimeout", "maxRecordBytes", "stateTransferChunkSize",
            "maxHandlerThreads", "partitionPolicy", "deserializationFilter", "accessTimeGranularity",
            "clusterSecret", "clusterSecretFile", "security");

    /**
     * What protects member-to-member messages ({@code security} setting): {@link #PROTECTED} (the
     * default) seals every message with the cluster secret when one is set, and without one lets the
     * member listen on loopback addresses only (or use the tls stack); {@link #NONE} allows a member
     * without a secret on any address, for labs.
     */
    public enum Security {
        PROTECTED, NONE
    }

    private final String clusterName;
    private final String stack;
    private final Properties stackProperties;
    private final String nodeName;
    private final String site;
    private final String rack;
    private final String machine;
    private final int numOwners;
    private final int numSegments;
    private final ReplicationMode replicationMode;
    private final long remoteTimeout;
    private final long backupTimeout;
    private final int tombstoneTimeout;
    private final long joinTimeout;
    private final long leaveTimeout;
    private final int maxRecordBytes;
    private final int stateTransferChunkSize;
    private final int maxHandlerThreads;
    private final PartitionPolicy partitionPolicy;
    private final String deserializationFilter;
    private final long accessTimeGranularity;
    private final List<String> clusterSecrets;
    private final String clusterSecretFile;
    private final Security security;

    private GridConfig(Builder b, List<String> clusterSecrets) {
        this.clusterName = b.clusterName;
        this.stack = b.stack;
        this.stackProperties = new Properties();
        this.stackProperties.putAll(b.stackProperties);
        this.nodeName = b.nodeName;
        this.site = b.site;
        this.rack = b.rack;
        this.machine = b.machine;
        this.numOwners = b.numOwners;
        this.numSegments = b.numSegments;
        this.replicationMode = b.replicationMode;
        this.remoteTimeout = b.remoteTimeout;
        this.backupTimeout = b.backupTimeout;
        this.tombstoneTimeout = b.tombstoneTimeout;
        this.joinTimeout = b.joinTimeout;
        this.leaveTimeout = b.leaveTimeout;
        this.maxRecordBytes = b.maxRecordBytes;
        this.stateTransferChunkSize = b.stateTransferChunkSize;
        this.maxHandlerThreads = b.maxHandlerThreads;
        this.partitionPolicy = b.partitionPolicy;
        this.deserializationFilter = b.deserializationFilter;
        this.accessTimeGranularity = b.accessTimeGranularity;
        this.clusterSecrets = List.copyOf(clusterSecrets);
        this.clusterSecretFile = b.clusterSecretFile;
        this.security = b.security;
    }

    public static Builder builder(String clusterName) {
        return new Builder().clusterName(clusterName);
    }

    /** Cluster name: members with the same name (and stack) form one grid. */
    public String clusterName() {
        return clusterName;
    }

    /** JGroups stack: a shipped name (udp, tcp, kubernetes, tls, test-loopback), a file or a URL. */
    public String stack() {
        return stack;
    }

    /** Properties substituted into the stack file ({@code sessiongrid.bindAddress}, ...). A copy. */
    public Properties stackProperties() {
        Properties p = new Properties();
        p.putAll(stackProperties);
        return p;
    }

    public String nodeName() {
        return nodeName;
    }

    public String site() {
        return site;
    }

    public String rack() {
        return rack;
    }

    public String machine() {
        return machine;
    }

    public int numOwners() {
        return numOwners;
    }

    public int numSegments() {
        return numSegments;
    }

    public ReplicationMode replicationMode() {
        return replicationMode;
    }

    /** Milliseconds an operation may wait for a remote member (and for failover under it) before failing. */
    public long remoteTimeout() {
        return remoteTimeout;
    }

    /**
     * Milliseconds a member waits for another member's answer to a replicate or a call to a primary before
     * it suspects that member: JGroups then verifies it and, if it is silent, excludes it, and the write
     * completes with the remaining owners (see docs/design.md, "A silent member").
     */
    public long backupTimeout() {
        return backupTimeout;
    }

    /** Seconds an invalidated session's tombstone is kept, so that a late write cannot revive it. */
    public int tombstoneTimeout() {
        return tombstoneTimeout;
    }

    public long joinTimeout() {
        return joinTimeout;
    }

    /** Milliseconds a graceful leave may take to hand this member's segments over. */
    public long leaveTimeout() {
        return leaveTimeout;
    }

    /** Largest serialized attribute value (or container blob) accepted, in bytes. */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    public int stateTransferChunkSize() {
        return stateTransferChunkSize;
    }

    public int maxHandlerThreads() {
        return maxHandlerThreads;
    }

    public PartitionPolicy partitionPolicy() {
        return partitionPolicy;
    }

    /**
     * The {@code deserializationFilter} pattern list (JDK {@code ObjectInputFilter} syntax) applied
     * after the built-in deny list; null for the defaults.
     */
    public String deserializationFilter() {
        return deserializationFilter;
    }

    /** Milliseconds within which access times reach the primary (they travel batched). */
    public long accessTimeGranularity() {
        return accessTimeGranularity;
    }

    /**
     * The cluster's secrets, from {@code clusterSecret} or the lines of {@code clusterSecretFile}: the
     * first seals what this member sends, every one opens what it receives. Empty without a secret.
     * Package-private: the secret leaves the grid only into the channel.
     */
    List<String> clusterSecrets() {
        return clusterSecrets;
    }

    /** True if every message between members is sealed with the cluster secret. */
    public boolean isSealed() {
        return !clusterSecrets.isEmpty();
    }

    /** The file the secrets were read from, or null. */
    public String clusterSecretFile() {
        return clusterSecretFile;
    }

    /** The {@code security} setting. */
    public Security security() {
        return security;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GridConfig c && c.clusterName.equals(clusterName) && c.stack.equals(stack)
                && c.stackProperties.equals(stackProperties) && Objects.equals(c.nodeName, nodeName)
                && Objects.equals(c.site, site) && Objects.equals(c.rack, rack) && Objects.equals(c.machine, machine)
                && c.numOwners == numOwners && c.numSegments == numSegments && c.replicationMode == replicationMode
                && c.remoteTimeout == remoteTimeout && c.backupTimeout == backupTimeout && c.tombstoneTimeout == tombstoneTimeout
                && c.joinTimeout == joinTimeout && c.leaveTimeout == leaveTimeout && c.maxRecordBytes == maxRecordBytes
                && c.stateTransferChunkSize == stateTransferChunkSize && c.maxHandlerThreads == maxHandlerThreads
                && c.partitionPolicy == partitionPolicy && Objects.equals(c.deserializationFilter, deserializationFilter)
                && c.accessTimeGranularity == accessTimeGranularity && c.clusterSecrets.equals(clusterSecrets)
                && Objects.equals(c.clusterSecretFile, clusterSecretFile) && c.security == security;
    }

    @Override
    public int hashCode() {
        return Objects.hash(clusterName, stack, nodeName, numOwners, numSegments);
    }

    @Override
    public String toString() {
        return "GridConfig[clusterName=" + clusterName + ", stack=" + stack + ", nodeName=" + nodeName + ", numOwners="
                + numOwners + ", numSegments=" + numSegments + ", replicationMode=" + replicationMode.name().toLowerCase(Locale.ROOT)
                + ", remoteTimeout=" + remoteTimeout + "ms, backupTimeout=" + backupTimeout + "ms, security=" + (isSealed() ? "cluster secret"
                : security.name().toLowerCase(Locale.ROOT)) + "]";
    }

    /** Collects settings; {@link #build()} checks them together. Not thread-safe. */
    public static final class Builder {
        private String clusterName;
        private String stack = "udp";
        private final Properties stackProperties = new Properties();
        private String nodeName = defaultNodeName();
        private String site;
        private String rack;
        private String machine;
        private int numOwners = 3;
        private int numSegments = 1024;
        private ReplicationMode replicationMode = ReplicationMode.SYNC;
        private long remoteTimeout = 15_000;
        private long backupTimeout = 1_000;
        private int tombstoneTimeout = 600;
        private long joinTimeout = 30_000;
        private long leaveTimeout = 60_000;
        private int maxRecordBytes = 16 * 1024 * 1024;
        private int stateTransferChunkSize = 512;
        private int maxHandlerThreads = 256;
        private PartitionPolicy partitionPolicy = PartitionPolicy.SERVE_BOTH_SIDES;
        private String deserializationFilter;
        private long accessTimeGranularity = 1_000;
        private String clusterSecret;
        private String clusterSecretFile;
        private Security security = Security.PROTECTED;

        private static String defaultNodeName() {
            // "pid@host" -> "host-pid": unique per process on a host, readable in logs.
            String rt = ManagementFactory.getRuntimeMXBean().getName();
            int at = rt.indexOf('@');
            return at > 0 ? rt.substring(at + 1) + "-" + rt.substring(0, at) : rt;
        }

        public Builder clusterName(String v) {
            this.clusterName = v;
            return this;
        }

        public Builder stack(String v) {
            this.stack = v;
            return this;
        }

        /** A property for the stack file, e.g. {@code sessiongrid.bindAddress}. */
        public Builder stackProperty(String name, String value) {
            stackProperties.setProperty(name, value);
            return this;
        }

        public Builder nodeName(String v) {
            this.nodeName = v;
            return this;
        }

        public Builder site(String v) {
            this.site = v;
            return this;
        }

        public Builder rack(String v) {
            this.rack = v;
            return this;
        }

        public Builder machine(String v) {
            this.machine = v;
            return this;
        }

        public Builder numOwners(int v) {
            this.numOwners = v;
            return this;
        }

        public Builder numSegments(int v) {
            this.numSegments = v;
            return this;
        }

        public Builder replicationMode(ReplicationMode v) {
            this.replicationMode = v;
            return this;
        }

        public Builder remoteTimeout(long millis) {
            this.remoteTimeout = millis;
            return this;
        }

        /** See {@link GridConfig#backupTimeout()}; default 1000 ms. */
        public Builder backupTimeout(long millis) {
            this.backupTimeout = millis;
            return this;
        }

        /** FD_ALL3 timeout of the shipped stacks, in milliseconds. */
        public Builder failureDetectionTimeout(long millis) {
            if (millis <= 0) {
                throw invalid("failureDetectionTimeout", String.valueOf(millis), "a positive number of milliseconds");
            }
            stackProperties.setProperty(PREFIX + "failureDetectionTimeout", String.valueOf(millis));
            return this;
        }

        public Builder tombstoneTimeout(int seconds) {
            this.tombstoneTimeout = seconds;
            return this;
        }

        public Builder joinTimeout(long millis) {
            this.joinTimeout = millis;
            return this;
        }

        public Builder leaveTimeout(long millis) {
            this.leaveTimeout = millis;
            return this;
        }

        public Builder maxRecordBytes(int v) {
            this.maxRecordBytes = v;
            return this;
        }

        public Builder stateTransferChunkSize(int v) {
            this.stateTransferChunkSize = v;
            return this;
        }

        public Builder maxHandlerThreads(int v) {
            this.maxHandlerThreads = v;
            return this;
        }

        public Builder partitionPolicy(PartitionPolicy v) {
            this.partitionPolicy = Objects.requireNonNull(v, "partitionPolicy");
            return this;
        }

        public Builder deserializationFilter(String v) {
            this.deserializationFilter = v == null || v.isBlank() ? null : v;
            return this;
        }

        public Builder accessTimeGranularity(long millis) {
            this.accessTimeGranularity = millis;
            return this;
        }

        /**
         * The cluster secret: every message between members is sealed with a key derived from it
         * (AES-GCM, see docs/design.md "Security"); members without it can neither join, read nor write.
         * At least 16 characters, the same on every member. To rotate it, use {@link #clusterSecretFile}.
         */
        public Builder clusterSecret(String v) {
            this.clusterSecret = v == null || v.isEmpty() ? null : v;
            return this;
        }

        /**
         * A file holding the cluster secret (UTF-8, one secret per line; blank lines and lines starting
         * with '#' are skipped). The first secret seals, every one opens: list the new secret second on
         * every member, then first, then drop the old one (docs/configuration.md, "Cluster secret").
         */
        public Builder clusterSecretFile(String path) {
            this.clusterSecretFile = path == null || path.isBlank() ? null : path;
            return this;
        }

        /** {@code protected} (the default) or {@code none}; see {@link Security}. */
        public Builder security(Security v) {
            this.security = Objects.requireNonNull(v, "security");
            return this;
        }

        /**
         * Sets a setting by its documented name from its text form, as a container adapter reads it
         * from {@code context.xml} or Jetty properties.
         *
         * @throws IllegalArgumentException naming the setting, the value and what is accepted
         */
        public Builder set(String name, String value) {
            Objects.requireNonNull(name, "name");
            if (value == null) {
                return this;
            }
            String v = value.trim();
            switch (name) {
                case "clusterName" -> clusterName(v);
                case "stack" -> stack(v);
                case "nodeName" -> nodeName(v);
                case "site" -> site(v);
                case "rack" -> rack(v);
                case "machine" -> machine(v);
                case "numOwners" -> numOwners(parseInt(name, v));
                case "numSegments" -> numSegments(parseInt(name, v));
                case "replicationMode" -> replicationMode(parseEnum(name, v, ReplicationMode.class));
                case "remoteTimeout" -> remoteTimeout(parseLong(name, v));
                case "backupTimeout" -> backupTimeout(parseLong(name, v));
                case "failureDetectionTimeout" -> failureDetectionTimeout(parseLong(name, v));
                case "tombstoneTimeout" -> tombstoneTimeout(parseInt(name, v));
                case "joinTimeout" -> joinTimeout(parseLong(name, v));
                case "leaveTimeout" -> leaveTimeout(parseLong(name, v));
                case "maxRecordBytes" -> maxRecordBytes(parseInt(name, v));
                case "stateTransferChunkSize" -> stateTransferChunkSize(parseInt(name, v));
                case "maxHandlerThreads" -> maxHandlerThreads(parseInt(name, v));
                case "partitionPolicy" -> partitionPolicy(PartitionPolicy.parse(v));
                case "deserializationFilter" -> deserializationFilter(v);
                case "accessTimeGranularity" -> accessTimeGranularity(parseLong(name, v));
                // Trimmed like a line of clusterSecretFile, so both forms of one secret give one key.
                case "clusterSecret" -> clusterSecret(v);
                case "clusterSecretFile" -> clusterSecretFile(v);
                case "security" -> security(parseEnum(name, v, Security.class));
                default -> {
                    if (name.startsWith(PREFIX)) {
                        stackProperty(name, v);
                    } else {
                        throw new IllegalArgumentException("unknown SessionGrid setting '" + name + "'; known settings: "
                                + SETTINGS + ", or a stack property starting with '" + PREFIX + "'");
                    }
                }
            }
            return this;
        }

        /**
         * Applies every {@code sessiongrid.<setting>} found in {@code props} (for example
         * {@link System#getProperties()}), and passes other {@code sessiongrid.*} entries to the stack.
         */
        public Builder setAll(Map<?, ?> props) {
            prefixed(props).forEach((k, v) -> {
                String name = k.substring(PREFIX.length());
                set(SETTINGS.contains(name) ? name : k, v);
            });
            return this;
        }

        private Builder() {
        }

        public GridConfig build() {
            if (clusterName == null || clusterName.isBlank()) {
                throw invalid("clusterName", String.valueOf(clusterName), "a non-empty name shared by the cluster's members");
            }
            if (stack == null || stack.isBlank()) {
                throw invalid("stack", String.valueOf(stack), "udp, tcp, kubernetes, tls, test-loopback, a file or a URL");
            }
            if (nodeName == null || nodeName.isBlank()) {
                throw invalid("nodeName", String.valueOf(nodeName), "a non-empty name unique in the cluster");
            }
            check(numOwners >= 1 && numOwners <= 8, "numOwners", numOwners, "1 to 8 (3 is the default)");
            check(numSegments >= 1 && numSegments <= 65_536, "numSegments", numSegments,
                    "1 to 65536 (1024 is the default; it must be the same on every member)");
            check(remoteTimeout >= 100, "remoteTimeout", remoteTimeout, "at least 100 milliseconds");
            check(backupTimeout >= 50, "backupTimeout", backupTimeout, "at least 50 milliseconds");
            check(tombstoneTimeout >= 1, "tombstoneTimeout", tombstoneTimeout, "at least 1 second");
            check(joinTimeout >= 100, "joinTimeout", joinTimeout, "at least 100 milliseconds");
            check(leaveTimeout >= 0, "leaveTimeout", leaveTimeout, "0 or more milliseconds");
            check(maxRecordBytes >= 1024, "maxRecordBytes", maxRecordBytes, "at least 1024 bytes");
            check(stateTransferChunkSize >= 1, "stateTransferChunkSize", stateTransferChunkSize, "at least 1");
            check(maxHandlerThreads >= 8, "maxHandlerThreads", maxHandlerThreads, "at least 8");
            check(accessTimeGranularity >= 10 && accessTimeGranularity <= 60_000, "accessTimeGranularity",
                    accessTimeGranularity, "10 to 60000 milliseconds");
            return new GridConfig(this, secrets());
        }

        private List<String> secrets() {
            if (clusterSecret != null && clusterSecretFile != null) {
                throw new IllegalArgumentException("SessionGrid settings clusterSecret and clusterSecretFile are both set:"
                        + " set one of them");
            }
            List<String> secrets = clusterSecretFile != null ? ClusterSecretFile.read(clusterSecretFile)
                    : clusterSecret != null ? List.of(clusterSecret) : List.of();
            for (String secret : secrets) {
                if (secret.length() < 16) {
                    throw new IllegalArgumentException("SessionGrid setting " + (clusterSecretFile != null
                            ? "clusterSecretFile (" + clusterSecretFile + ")" : "clusterSecret")
                            + " holds a secret shorter than 16 characters: use a long random one, e.g. the output"
                            + " of 'openssl rand -base64 32'");
                }
            }
            if (!secrets.isEmpty() && security == Security.NONE) {
                throw new IllegalArgumentException("SessionGrid settings security=none and "
                        + (clusterSecretFile != null ? "clusterSecretFile" : "clusterSecret")
                        + " contradict each other: remove security=none to seal messages with the secret,"
                        + " or remove the secret");
            }
            return secrets;
        }

        private static void check(boolean ok, String name, long value, String accepted) {
            if (!ok) {
                throw invalid(name, String.valueOf(value), accepted);
            }
        }

        private static IllegalArgumentException invalid(String name, String value, String accepted) {
            return new IllegalArgumentException("SessionGrid setting " + name + "=\"" + value + "\" is invalid: expected "
                    + accepted);
        }

        private static int parseInt(String name, String v) {
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw invalid(name, v, "a whole number");
            }
        }

        private static long parseLong(String name, String v) {
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw invalid(name, v, "a whole number");
            }
        }

        private static <E extends Enum<E>> E parseEnum(String name, String v, Class<E> type) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v)) {
                    return e;
                }
            }
            throw invalid(name, v, "one of " + Arrays.stream(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        }
    }
}
