package org.sessiongrid.jgroups;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.jgroups.JChannel;
import org.jgroups.conf.ProtocolStackConfigurator;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the JGroups stack a SessionGrid node runs on: one of the stacks shipped in this jar, or the
 * deployer's own file, with its {@code ${...}} placeholders filled from SessionGrid properties.
 *
 * <h2>Choosing a stack</h2>
 * The {@code stack} argument is tried, in this order, as
 * <ol>
 *   <li>a shipped stack name (case-insensitive): {@value #STACK_UDP}, {@value #STACK_TCP},
 *       {@value #STACK_KUBERNETES}, {@value #STACK_TLS}, {@value #STACK_TEST_LOOPBACK};</li>
 *   <li>{@code classpath:path/to/stack.xml}, looked up with the thread's context class loader and
 *       then with this class's loader;</li>
 *   <li>a URL whose scheme Java can open ({@code file:}, {@code http:}, {@code https:},
 *       {@code jar:}); read with 10 s connect and read timeouts;</li>
 *   <li>a file path, relative to the working directory.</li>
 * </ol>
 *
 * <h2>Placeholders</h2>
 * Attribute values may contain {@code ${name}}, {@code ${name:default}} and
 * {@code ${a,b:default}} (JGroups' syntax; the names are alternatives tried in order). For each
 * name, the {@code overrides} passed in are consulted first, then the system properties; the
 * first name with a value wins, else the default is used. Environment variables are not
 * consulted. A placeholder with no value and no default is an error naming the stack and the
 * property (JGroups itself would silently leave the attribute empty). {@code <include file="..."/>}
 * elements are expanded here, the file looked up as JGroups does (file, URL, class-path resource),
 * and their placeholders follow the same rules.
 *
 * <p>The stack file is read with a real XML parser, so it must be well-formed XML (JGroups' own
 * parser is more lenient), and values reach JGroups unchanged whatever characters they contain.
 *
 * <h2>Properties of the shipped stacks</h2>
 * All names are in system-property form; a container adapter passes its configuration as
 * {@code overrides} under the same names. "—" means the stack does not use the property.
 * <table>
 *   <caption>Properties and their defaults per shipped stack</caption>
 *   <tr><th>Property</th><th>udp</th><th>tcp</th><th>kubernetes</th><th>tls</th><th>test-loopback</th></tr>
 *   <tr><td>{@value #BIND_ADDRESS}</td><td>SITE_LOCAL</td><td>SITE_LOCAL</td><td>SITE_LOCAL</td><td>SITE_LOCAL</td><td>—</td></tr>
 *   <tr><td>{@value #BIND_PORT}</td><td>0 (ephemeral)</td><td>7800</td><td>7800</td><td>7800</td><td>—</td></tr>
 *   <tr><td>{@value #PORT_RANGE}</td><td>10</td><td>10</td><td>0</td><td>10</td><td>—</td></tr>
 *   <tr><td>{@value #MCAST_ADDRESS}</td><td>239.9.9.9</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>
 *   <tr><td>{@value #MCAST_PORT}</td><td>45688</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>
 *   <tr><td>{@value #IP_TTL}</td><td>2</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>
 *   <tr><td>{@value #INITIAL_HOSTS}</td><td>—</td><td>localhost[7800]</td><td>—</td><td>localhost[7800]</td><td>—</td></tr>
 *   <tr><td>{@value #DNS_QUERY}</td><td>—</td><td>—</td><td><b>required</b></td><td>—</td><td>—</td></tr>
 *   <tr><td>{@value #DNS_RECORD_TYPE}</td><td>—</td><td>—</td><td>A</td><td>—</td><td>—</td></tr>
 *   <tr><td>{@value #FAILURE_DETECTION_TIMEOUT}</td><td>10000</td><td>10000</td><td>10000</td><td>10000</td><td>3000</td></tr>
 *   <tr><td>{@value #FAILURE_DETECTION_INTERVAL}</td><td>2000</td><td>2000</td><td>2000</td><td>2000</td><td>500</td></tr>
 *   <tr><td>{@value #VERIFY_SUSPECT_TIMEOUT}</td><td>1000</td><td>1000</td><td>1000</td><td>1000</td><td>500</td></tr>
 *   <tr><td>{@value #MERGE_MIN_INTERVAL}</td><td>5000</td><td>5000</td><td>5000</td><td>5000</td><td>—</td></tr>
 *   <tr><td>{@value #MERGE_MAX_INTERVAL}</td><td>15000</td><td>15000</td><td>15000</td><td>15000</td><td>—</td></tr>
 *   <tr><td>{@value #FD_SOCK_OFFSET}</td><td>100</td><td>100</td><td>100</td><td>100</td><td>—</td></tr>
 *   <tr><td>{@value #TLS_KEYSTORE_PATH}, {@value #TLS_KEYSTORE_PASSWORD}, {@value #TLS_TRUSTSTORE_PATH},
 *       {@value #TLS_TRUSTSTORE_PASSWORD}</td><td>—</td><td>—</td><td>—</td><td><b>required</b></td><td>—</td></tr>
 *   <tr><td>{@value #TLS_KEYSTORE_TYPE}, {@value #TLS_TRUSTSTORE_TYPE}</td><td>—</td><td>—</td><td>—</td><td>pkcs12</td><td>—</td></tr>
 * </table>
 * Times are in milliseconds (JGroups also accepts {@code 10s}). FD_SOCK2 listens on the transport's
 * actual port plus {@value #FD_SOCK_OFFSET} and up to 3 ports above it (7900..7903 for a node on
 * 7800); firewalls must let the grid's hosts reach it.
 *
 * <h2>Cluster secret and protected mode</h2>
 * {@link #newChannel(String, Properties, ChannelSecurity)} adds what no stack file holds: with a
 * cluster secret, the protocol {@link SEAL} directly above the transport (every message sealed with
 * AES-256-GCM under a key derived from the secret and the cluster name, replays refused); without
 * one, in protected mode, the check that the channel listens on loopback addresses only (or uses
 * mutual TLS). The grid always creates its channel that way; the two-argument
 * {@link #newChannel(String, Properties)} builds the stack exactly as the file says.
 *
 * <h2>JGroups' own system properties win</h2>
 * JGroups reads some system properties itself and lets them override the XML: {@code jgroups.bind_addr},
 * {@code jgroups.bind_port}, {@code jgroups.external_addr}, {@code jgroups.external_port},
 * {@code jgroups.tcpping.initial_hosts}, {@code jgroups.dns.dns_query} and
 * {@code jgroups.dns.dns_record_type}. If one of them is set, the matching SessionGrid property has
 * no effect.
 */
public final class StackLoader {

    private static final Logger LOG = LoggerFactory.getLogger(StackLoader.class);

    static {
        // Before any protocol takes its Log, so that JGroups' lines name their own class as source.
        JGroupsLog.install();
    }

    /** Name of the shipped stack using UDP multicast, for LANs that carry it. */
    public static final String STACK_UDP = "udp";
    /** Name of the shipped stack using TCP and a static host list, for networks without multicast. */
    public static final String STACK_TCP = "tcp";
    /** Name of the shipped stack using TCP and DNS discovery through a headless Service. */
    public static final String STACK_KUBERNETES = "kubernetes";
    /** Name of the shipped stack using TCP with mutual TLS and a static host list. */
    public static final String STACK_TLS = "tls";
    /**
     * Name of the shipped stack for several members in one JVM (tests only): in-memory transport,
     * a member cut off with {@code org.jgroups.util.Util.shutdown(channel)} is excluded within about
     * 4 to 5 s. Give every test its own cluster name: all channels of a JVM share one loopback.
     */
    public static final String STACK_TEST_LOOPBACK = "test-loopback";

    /** Prefix of every SessionGrid configuration property. */
    public static final String PROPERTY_PREFIX = "sessiongrid.";

    /**
     * Address the transport binds to: an IP address or one of JGroups' keywords
     * ({@code SITE_LOCAL}, {@code LOOPBACK}, {@code NON_LOOPBACK}, {@code GLOBAL},
     * {@code match-interface:eth.*}, {@code match-address:10\.0\..*}, ...).
     */
    public static final String BIND_ADDRESS = PROPERTY_PREFIX + "bindAddress";
    /** Port the transport binds to; 0 picks an ephemeral port. */
    public static final String BIND_PORT = PROPERTY_PREFIX + "bindPort";
    /**
     * How many ports above {@link #BIND_PORT} the transport may fall back to when it is taken, and
     * (tcp, tls) how many ports above each initial host's port discovery probes.
     */
    public static final String PORT_RANGE = PROPERTY_PREFIX + "portRange";
    /**
     * Address advertised to other members when it differs from the bind address (NAT). <b>Not
     * referenced by the shipped stacks</b>: JGroups turns an empty {@code external_addr} into the
     * local host's address instead of ignoring it, so the stacks cannot offer it with an empty
     * default. Set JGroups' own {@code -Djgroups.external_addr=...} instead (it applies to every
     * stack), or reference this property in a custom stack file.
     */
    public static final String EXTERNAL_ADDRESS = PROPERTY_PREFIX + "externalAddress";
    /** Multicast group address (udp). */
    public static final String MCAST_ADDRESS = PROPERTY_PREFIX + "mcastAddress";
    /** Multicast port (udp). */
    public static final String MCAST_PORT = PROPERTY_PREFIX + "mcastPort";
    /** Time-to-live of multicast datagrams (udp): 0 stays on the host, 1 on the subnet. */
    public static final String IP_TTL = PROPERTY_PREFIX + "ipTtl";
    /** Members to contact at startup (tcp, tls), e.g. {@code 10.0.0.1[7800],10.0.0.2[7800]}. */
    public static final String INITIAL_HOSTS = PROPERTY_PREFIX + "initialHosts";
    /** DNS name listing the members (kubernetes): the headless Service's name. Required. */
    public static final String DNS_QUERY = PROPERTY_PREFIX + "dnsQuery";
    /** DNS record type queried (kubernetes): {@code A} or {@code SRV}. */
    public static final String DNS_RECORD_TYPE = PROPERTY_PREFIX + "dnsRecordType";
    /**
     * Milliseconds without any traffic from a member before FD_ALL3 suspects it. A hung or
     * partitioned member is removed after this plus up to one interval plus
     * {@link #VERIFY_SUSPECT_TIMEOUT}. Keep it above the longest expected GC pause.
     */
    public static final String FAILURE_DETECTION_TIMEOUT = PROPERTY_PREFIX + "failureDetectionTimeout";
    /** Milliseconds between FD_ALL3 heartbeats and timeout checks. */
    public static final String FAILURE_DETECTION_INTERVAL = PROPERTY_PREFIX + "failureDetectionInterval";
    /** Milliseconds VERIFY_SUSPECT2 waits for a suspected member to answer before excluding it. */
    public static final String VERIFY_SUSPECT_TIMEOUT = PROPERTY_PREFIX + "verifySuspectTimeout";
    /**
     * Lower bound, in milliseconds, of the interval between MERGE3's INFO messages (udp, tcp, kubernetes,
     * tls). Must stay below {@link #MERGE_MAX_INTERVAL}.
     */
    public static final String MERGE_MIN_INTERVAL = PROPERTY_PREFIX + "mergeMinInterval";
    /**
     * Upper bound, in milliseconds, of the interval between MERGE3's INFO messages. The sides of a healed
     * split see each other within about 1.6 times this (MERGE3's check interval), and the grid merges
     * right after; a shorter interval ends a minority's outage sooner and costs every member one INFO to
     * every other about every {@code (min + max) / 2}.
     */
    public static final String MERGE_MAX_INTERVAL = PROPERTY_PREFIX + "mergeMaxInterval";
    /** Offset from the transport's port to FD_SOCK2's port (udp, tcp, kubernetes, tls). */
    public static final String FD_SOCK_OFFSET = PROPERTY_PREFIX + "fdSockOffset";
    /** Keystore holding this member's key and certificate (tls). Required. */
    public static final String TLS_KEYSTORE_PATH = PROPERTY_PREFIX + "tls.keystorePath";
    /** Password of the keystore and its key (tls). Required. */
    public static final String TLS_KEYSTORE_PASSWORD = PROPERTY_PREFIX + "tls.keystorePassword";
    /** Keystore type (tls), e.g. {@code pkcs12} or {@code jks}. */
    public static final String TLS_KEYSTORE_TYPE = PROPERTY_PREFIX + "tls.keystoreType";
    /**
     * Alias of the key to use when the keystore holds several. <b>Not referenced by the shipped tls
     * stack</b>: JGroups treats an empty alias as an alias named "" and fails, so the stack cannot
     * offer it with an empty default. Use a keystore with one key, or reference this property in a
     * custom stack file ({@code tls.keystore_alias="${sessiongrid.tls.keystoreAlias}"}).
     */
    public static final String TLS_KEYSTORE_ALIAS = PROPERTY_PREFIX + "tls.keystoreAlias";
    /** Truststore holding the certificates (or their CA) of the members to accept (tls). Required. */
    public static final String TLS_TRUSTSTORE_PATH = PROPERTY_PREFIX + "tls.truststorePath";
    /** Password of the truststore (tls). Required. */
    public static final String TLS_TRUSTSTORE_PASSWORD = PROPERTY_PREFIX + "tls.truststorePassword";
    /** Truststore type (tls), e.g. {@code pkcs12} or {@code jks}. */
    public static final String TLS_TRUSTSTORE_TYPE = PROPERTY_PREFIX + "tls.truststoreType";

    private static final List<String> SHIPPED_STACKS =
            List.of(STACK_UDP, STACK_TCP, STACK_KUBERNETES, STACK_TLS, STACK_TEST_LOOPBACK);

    /** Causes are followed this deep when composing a message; JGroups rarely nests more than 3. */
    private static final int MAX_CAUSES_IN_MESSAGE = 5;

    private StackLoader() {
    }

    /**
     * Returns the names of the stacks shipped in this jar, in the order they are documented.
     *
     * @return an unmodifiable list: udp, tcp, kubernetes, tls, test-loopback
     */
    public static List<String> shippedStacks() {
        return SHIPPED_STACKS;
    }

    /**
     * Reads a stack and substitutes all its placeholders.
     *
     * @param stack     a shipped stack name, {@code classpath:} resource, URL or file path (see the
     *                  class description)
     * @param overrides values that win over system properties, typically the container's
     *                  configuration; may be {@code null}
     * @return the stack without placeholders and includes, in the XML dialect JGroups' parser reads
     *         ({@code new JChannel(InputStream)}, {@code XmlConfigurator.getInstance(InputStream)}):
     *         a {@code "} in a value is escaped with a backslash, which a general XML parser does not
     *         understand. Comments are dropped.
     * @throws StackConfigurationException if the stack cannot be found or read, is not well-formed
     *         XML, a placeholder has no value and no default, or a value contains a character
     *         JGroups' parser cannot read back ({@code <}, {@code >}, {@code \}, control or
     *         non-ASCII characters; {@link #newChannel(String, Properties)} accepts those, so a
     *         Windows keystore path works there); the message names the stack
     */
    public static String resolve(String stack, Properties overrides) throws StackConfigurationException {
        ResolvedStack resolved = ResolvedStack.load(StackSource.locate(stack, SHIPPED_STACKS), derived(overrides));
        String xml = resolved.toJGroupsXml();
        LOG.debug("Resolved {}", resolved.description());
        return xml;
    }

    /**
     * Creates an unconnected channel on a stack. JGroups creates and initializes the protocols here
     * (so unknown protocols or attributes and bad values fail now) but opens sockets only in
     * {@link JChannel#connect(String)}.
     *
     * @param stack     as for {@link #resolve(String, Properties)}
     * @param overrides as for {@link #resolve(String, Properties)}
     * @return a new channel, not connected; the caller closes it
     * @throws StackConfigurationException as for {@link #resolve(String, Properties)}, and if JGroups
     *         rejects the configuration (the message then ends with JGroups' own explanation)
     */
    public static JChannel newChannel(String stack, Properties overrides) throws StackConfigurationException {
        ResolvedStack resolved = ResolvedStack.load(StackSource.locate(stack, SHIPPED_STACKS), derived(overrides));
        ProtocolStackConfigurator configurator = resolved.configurator();
        try {
            JChannel channel = new JChannel(configurator);
            LOG.debug("Created a channel from {}", resolved.description());
            return channel;
        } catch (Exception e) {
            throw new StackConfigurationException(resolved.description() + ": " + explain(e), e);
        }
    }

    /**
     * Creates an unconnected channel on a stack, protected as {@code security} says: with a cluster
     * secret, {@link SEAL} is inserted directly above the transport, so every message the channel
     * sends or receives (discovery included) is sealed; without one, in protected mode, the channel
     * must listen on loopback addresses only (or use mutual TLS).
     *
     * @param stack     as for {@link #resolve(String, Properties)}
     * @param overrides as for {@link #resolve(String, Properties)}
     * @param security  how to protect the channel
     * @return a new channel, not connected; the caller closes it. With a secret, its stack holds one
     *         {@link SEAL} (find it with {@code getProtocolStack().findProtocol(SEAL.class)} to count drops)
     * @throws StackConfigurationException as for {@link #newChannel(String, Properties)}; in protected
     *         mode without a secret, if the transport or FD_SOCK2 would listen on a non-loopback
     *         address (the message names the settings to add); if a secret is too short
     */
    public static JChannel newChannel(String stack, Properties overrides, ChannelSecurity security)
            throws StackConfigurationException {
        JChannel channel = newChannel(stack, overrides);
        try {
            if (security.isSealed()) {
                TP transport = channel.getProtocolStack().getTransport();
                SEAL seal = new SEAL(SealKeys.derive(security.clusterName(), security.secrets()), System::currentTimeMillis);
                seal.selfTest();
                seal.setProtocolStack(channel.getProtocolStack());
                channel.getProtocolStack().insertProtocol(seal, ProtocolStack.Position.ABOVE, transport.getClass());
                LOG.debug("Channel of cluster {} seals its messages with the cluster secret", security.clusterName());
            } else if (security.checksAddresses()) {
                ProtectedMode.check(channel, describe(stack));
            }
            return channel;
        } catch (StackConfigurationException e) {
            channel.close();
            throw e;
        } catch (IllegalArgumentException e) {
            channel.close();
            throw new StackConfigurationException(e.getMessage(), e);
        } catch (Exception e) {
            channel.close();
            throw new StackConfigurationException("could not add the cluster secret's protocol to " + describe(stack)
                    + ": " + explain(e), e);
        }
    }

    private static String describe(String stack) {
        String s = stack == null ? "" : stack.trim();
        return SHIPPED_STACKS.contains(s.toLowerCase(java.util.Locale.ROOT)) ? "stack '" + s + "'" : "stack " + s;
    }

    /**
     * The overrides plus the values that follow from others: a {@value #FAILURE_DETECTION_TIMEOUT} set
     * without a {@value #FAILURE_DETECTION_INTERVAL} gets an interval of a quarter of it (at most the
     * stacks' 2000 ms, at least 100 ms). With a short timeout and the stacks' fixed 2 s interval, one
     * late heartbeat would expel a live member: a timeout of 3 s would leave room for one and a half.
     */
    static Properties derived(Properties overrides) {
        Properties out = new Properties();
        if (overrides != null) {
            out.putAll(overrides);
        }
        String timeout = out.getProperty(FAILURE_DETECTION_TIMEOUT, System.getProperty(FAILURE_DETECTION_TIMEOUT));
        String interval = out.getProperty(FAILURE_DETECTION_INTERVAL, System.getProperty(FAILURE_DETECTION_INTERVAL));
        if (timeout != null && interval == null) {
            try {
                long t = Long.parseLong(timeout.trim());
                out.setProperty(FAILURE_DETECTION_INTERVAL, String.valueOf(Math.max(100, Math.min(2000, t / 4))));
            } catch (NumberFormatException e) {
                // left alone: the stack reports the bad timeout with its name
            }
        }
        return out;
    }

    /**
     * Joins the messages of an exception and its causes, because JGroups often wraps the useful one
     * ("Conversion of bind_port in TCP ... failed" around "For input string: \"x\"").
     */
    private static String explain(Throwable error) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = error; t != null && parts.size() < MAX_CAUSES_IN_MESSAGE; t = t.getCause()) {
            String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (parts.stream().noneMatch(part -> part.contains(message))) {
                parts.add(message);
            }
        }
        return String.join(": ", parts);
    }
}
