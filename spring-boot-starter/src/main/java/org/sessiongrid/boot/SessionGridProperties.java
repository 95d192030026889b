package org.sessiongrid.boot;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The SessionGrid settings of a Spring Boot application, under {@code sessiongrid.*}: every setting of
 * docs/configuration.md by its one name, written in kebab case as Boot properties are
 * ({@code sessiongrid.cluster-name} is {@code clusterName}). Values are kept as text and handed to the
 * container adapter by their setting names ({@link #settings()}), which checks them as it checks a
 * Tomcat {@code <Manager>} attribute: a wrong value stops the application at start with one line
 * naming the setting, the value and what is accepted. A setting left out falls back to the system
 * property {@code sessiongrid.<name>}, then to the grid's default.
 */
@ConfigurationProperties("sessiongrid")
public class SessionGridProperties {

    /** Whether SessionGrid keeps the embedded container's sessions; false leaves the container's own manager. */
    private boolean enabled = true;

    /** Members with the same cluster name form one grid. Required. */
    private String clusterName;
    /** The JGroups stack: udp (default), tcp, kubernetes, tls, a file path or a URL. */
    private String stack;
    /** This member's name in logs, routes and status; also the embedded Tomcat's jvmRoute when it has none. Default: host-pid. */
    private String nodeName;
    /** Location tag: the owners of a segment go to distinct sites first. */
    private String site;
    /** Location tag: then to distinct racks. */
    private String rack;
    /** Location tag: then to distinct machines (several members on one host). */
    private String machine;
    /** Copies of every session (primary + backups), 1..8, the same on every member. Default: 3. */
    private String numOwners;
    /** Segments, fixed for the cluster's life, 1..65536. Default: 1024. */
    private String numSegments;
    /** sync (default: a write is acknowledged after every live backup applied it) or async. */
    private String replicationMode;
    /** Milliseconds a request waits for a remote member or a failover before failing. Default: 15000. */
    private String remoteTimeout;
    /**
     * Milliseconds without an answer from a backup or a primary before the waiting member suspects it (JGroups
     * verifies the suspicion and excludes a silent member). Default: 1000.
     */
    private String backupTimeout;
    /** Milliseconds a silent (hung, partitioned) member is tolerated. Default: 10000. */
    private String failureDetectionTimeout;
    /** Seconds an invalidated session's tombstone blocks late writes. Default: 600. */
    private String tombstoneTimeout;
    /** Milliseconds a starting member waits for the coordinator. Default: 30000. */
    private String joinTimeout;
    /** Milliseconds a stopping member spends handing its segments over. Default: 60000. */
    private String leaveTimeout;
    /** Largest serialized attribute value accepted, in bytes. Default: 16777216. */
    private String maxRecordBytes;
    /** Records per message when a joining member pulls its segments. Default: 512. */
    private String stateTransferChunkSize;
    /** Threads serving other members' requests, at least 8. Default: 256. */
    private String maxHandlerThreads;
    /** serve-both-sides (default) or minority-refuses-writes: what a minority partition does. */
    private String partitionPolicy;
    /** JDK ObjectInputFilter patterns (plus maxdepth/maxrefs/maxarray/maxbytes) applied to every attribute read back, after the built-in deny list. */
    private String deserializationFilter;
    /** Milliseconds within which last-access times reach the primary, 10..60000. Default: 1000. */
    private String accessTimeGranularity;
    /** The cluster secret (at least 16 characters, the same on every member): seals every message between members. */
    private String clusterSecret;
    /** A UTF-8 file holding the cluster secret, one per line (several lines rotate it). Set this or cluster-secret. */
    private String clusterSecretFile;
    /** protected (default: without a secret, loopback addresses or the tls stack only) or none (labs only). */
    private String security;
    /** none (default), all, or uriPattern:REGEX (the path without the context path): requests that hold their session's cluster-wide lock. */
    private String lockingMode;
    /** Milliseconds a request waits for its session's lock; then HTTP 503. Default: 10000. */
    private String lockTimeout;
    /** Milliseconds Tomcat keeps a session's decoded copy after its last request (then only the grid's record stays); 0: until the session's timeout. Default: 60000. Jetty: server.servlet.session / its cache's eviction policy. */
    private String copyIdleTimeout;

    /** Address to bind and advertise: 127.0.0.1, an IP, SITE_LOCAL (default), GLOBAL, match-interface:eth.*. */
    private String bindAddress;
    /** TCP port of the member (FD_SOCK2 listens on this + fd-sock-offset). Default: 7800 (0 for udp). */
    private String bindPort;
    /** Ports tried above bind-port (several members on one host). */
    private String portRange;
    /** tcp, tls: every member (or a few long-lived ones), e.g. 10.0.0.1[7800],10.0.0.2[7800]. */
    private String initialHosts;
    /** udp: multicast group address. Default: 239.9.9.9. */
    private String mcastAddress;
    /** udp: multicast port. Default: 45688. */
    private String mcastPort;
    /** udp: multicast TTL. Default: 2. */
    private String ipTtl;
    /** kubernetes: the headless service name, e.g. shop-sessions.default.svc.cluster.local. */
    private String dnsQuery;
    /** kubernetes: A (default) or SRV. */
    private String dnsRecordType;
    /** FD_SOCK2 listens on bind-port + this (+0..3). Default: 100. */
    private String fdSockOffset;
    /** Heartbeat interval in milliseconds (keep at most a quarter of failure-detection-timeout). Default: 2000. */
    private String failureDetectionInterval;
    /** MERGE3's minimum INFO interval in milliseconds. Default: 5000. */
    private String mergeMinInterval;
    /** MERGE3's maximum INFO interval in milliseconds. Default: 15000. */
    private String mergeMaxInterval;
    /** Milliseconds of the second check before a suspected member is excluded. Default: 1000. */
    private String verifySuspectTimeout;

    /** The tls stack's key and trust stores. */
    private final Tls tls = new Tls();

    /**
     * The settings that are set, by their setting names: grid and adapter settings as they are
     * ({@code clusterName}), JGroups stack properties with the {@code sessiongrid.} prefix
     * ({@code sessiongrid.initialHosts}), as a Tomcat {@code <Manager>} element carries them.
     */
    public Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        put(m, "clusterName", clusterName);
        put(m, "stack", stack);
        put(m, "nodeName", nodeName);
        put(m, "site", site);
        put(m, "rack", rack);
        put(m, "machine", machine);
        put(m, "numOwners", numOwners);
        put(m, "numSegments", numSegments);
        put(m, "replicationMode", replicationMode);
        put(m, "remoteTimeout", remoteTimeout);
        put(m, "backupTimeout", backupTimeout);
        put(m, "failureDetectionTimeout", failureDetectionTimeout);
        put(m, "tombstoneTimeout", tombstoneTimeout);
        put(m, "joinTimeout", joinTimeout);
        put(m, "leaveTimeout", leaveTimeout);
        put(m, "maxRecordBytes", maxRecordBytes);
        put(m, "stateTransferChunkSize", stateTransferChunkSize);
        put(m, "maxHandlerThreads", maxHandlerThreads);
        put(m, "partitionPolicy", partitionPolicy);
        put(m, "deserializationFilter", deserializationFilter);
        put(m, "accessTimeGranularity", accessTimeGranularity);
        put(m, "clusterSecret", clusterSecret);
        put(m, "clusterSecretFile", clusterSecretFile);
        put(m, "security", security);
        put(m, "lockingMode", lockingMode);
        put(m, "lockTimeout", lockTimeout);
        put(m, "copyIdleTimeout", copyIdleTimeout);
        String p = "sessiongrid.";
        put(m, p + "bindAddress", bindAddress);
        put(m, p + "bindPort", bindPort);
        put(m, p + "portRange", portRange);
        put(m, p + "initialHosts", initialHosts);
        put(m, p + "mcastAddress", mcastAddress);
        put(m, p + "mcastPort", mcastPort);
        put(m, p + "ipTtl", ipTtl);
        put(m, p + "dnsQuery", dnsQuery);
        put(m, p + "dnsRecordType", dnsRecordType);
        put(m, p + "fdSockOffset", fdSockOffset);
        put(m, p + "failureDetectionInterval", failureDetectionInterval);
        put(m, p + "mergeMinInterval", mergeMinInterval);
        put(m, p + "mergeMaxInterval", mergeMaxInterval);
        put(m, p + "verifySuspectTimeout", verifySuspectTimeout);
        put(m, p + "tls.keystorePath", tls.keystorePath);
        put(m, p + "tls.keystorePassword", tls.keystorePassword);
        put(m, p + "tls.keystoreType", tls.keystoreType);
        put(m, p + "tls.keystoreAlias", tls.keystoreAlias);
        put(m, p + "tls.truststorePath", tls.truststorePath);
        put(m, p + "tls.truststorePassword", tls.truststorePassword);
        put(m, p + "tls.truststoreType", tls.truststoreType);
        return m;
    }

    private static void put(Map<String, String> m, String name, String value) {
        if (value != null && !value.isBlank()) {
            m.put(name, value.trim());
        }
    }

    /** The tls stack's stores (JGroups stack properties {@code sessiongrid.tls.*}). */
    public static class Tls {
        /** This member's key and certificate. */
        private String keystorePath;
        /** Password of the key store. */
        private String keystorePassword;
        /** Type of the key store. Default: pkcs12. */
        private String keystoreType;
        /** Alias of this member's key in the key store. */
        private String keystoreAlias;
        /** The certificates members trust (mutual TLS). */
        private String truststorePath;
        /** Password of the trust store. */
        private String truststorePassword;
        /** Type of the trust store. Default: pkcs12. */
        private String truststoreType;

        public String getKeystorePath() { return keystorePath; }
        public void setKeystorePath(String v) { keystorePath = v; }
        public String getKeystorePassword() { return keystorePassword; }
        public void setKeystorePassword(String v) { keystorePassword = v; }
        public String getKeystoreType() { return keystoreType; }
        public void setKeystoreType(String v) { keystoreType = v; }
        public String getKeystoreAlias() { return keystoreAlias; }
        public void setKeystoreAlias(String v) { keystoreAlias = v; }
        public String getTruststorePath() { return truststorePath; }
        public void setTruststorePath(String v) { truststorePath = v; }
        public String getTruststorePassword() { return truststorePassword; }
        public void setTruststorePassword(String v) { truststorePassword = v; }
        public String getTruststoreType() { return truststoreType; }
        public void setTruststoreType(String v) { truststoreType = v; }
    }

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean v) { enabled = v; }
    public String getClusterName() { return clusterName; }
    public void setClusterName(String v) { clusterName = v; }
    public String getStack() { return stack; }
    public void setStack(String v) { stack = v; }
    public String getNodeName() { return nodeName; }
    public void setNodeName(String v) { nodeName = v; }
    public String getSite() { return site; }
    public void setSite(String v) { site = v; }
    public String getRack() { return rack; }
    public void setRack(String v) { rack = v; }
    public String getMachine() { return machine; }
    public void setMachine(String v) { machine = v; }
    public String getNumOwners() { return numOwners; }
    public void setNumOwners(String v) { numOwners = v; }
    public String getNumSegments() { return numSegments; }
    public void setNumSegments(String v) { numSegments = v; }
    public String getReplicationMode() { return replicationMode; }
    public void setReplicationMode(String v) { replicationMode = v; }
    public String getRemoteTimeout() { return remoteTimeout; }
    public void setRemoteTimeout(String v) { remoteTimeout = v; }
    public String getBackupTimeout() { return backupTimeout; }
    public void setBackupTimeout(String v) { backupTimeout = v; }
    public String getFailureDetectionTimeout() { return failureDetectionTimeout; }
    public void setFailureDetectionTimeout(String v) { failureDetectionTimeout = v; }
    public String getTombstoneTimeout() { return tombstoneTimeout; }
    public void setTombstoneTimeout(String v) { tombstoneTimeout = v; }
    public String getJoinTimeout() { return joinTimeout; }
    public void setJoinTimeout(String v) { joinTimeout = v; }
    public String getLeaveTimeout() { return leaveTimeout; }
    public void setLeaveTimeout(String v) { leaveTimeout = v; }
    public String getMaxRecordBytes() { return maxRecordBytes; }
    public void setMaxRecordBytes(String v) { maxRecordBytes = v; }
    public String getStateTransferChunkSize() { return stateTransferChunkSize; }
    public void setStateTransferChunkSize(String v) { stateTransferChunkSize = v; }
    public String getMaxHandlerThreads() { return maxHandlerThreads; }
    public void setMaxHandlerThreads(String v) { maxHandlerThreads = v; }
    public String getPartitionPolicy() { return partitionPolicy; }
    public void setPartitionPolicy(String v) { partitionPolicy = v; }
    public String getDeserializationFilter() { return deserializationFilter; }
    public void setDeserializationFilter(String v) { deserializationFilter = v; }
    public String getAccessTimeGranularity() { return accessTimeGranularity; }
    public void setAccessTimeGranularity(String v) { accessTimeGranularity = v; }
    public String getClusterSecret() { return clusterSecret; }
    public void setClusterSecret(String v) { clusterSecret = v; }
    public String getClusterSecretFile() { return clusterSecretFile; }
    public void setClusterSecretFile(String v) { clusterSecretFile = v; }
    public String getSecurity() { return security; }
    public void setSecurity(String v) { security = v; }
    public String getLockingMode() { return lockingMode; }
    public void setLockingMode(String v) { lockingMode = v; }
    public String getLockTimeout() { return lockTimeout; }
    public void setLockTimeout(String v) { lockTimeout = v; }
    public String getCopyIdleTimeout() { return copyIdleTimeout; }
    public void setCopyIdleTimeout(String v) { copyIdleTimeout = v; }
    public String getBindAddress() { return bindAddress; }
    public void setBindAddress(String v) { bindAddress = v; }
    public String getBindPort() { return bindPort; }
    public void setBindPort(String v) { bindPort = v; }
    public String getPortRange() { return portRange; }
    public void setPortRange(String v) { portRange = v; }
    public String getInitialHosts() { return initialHosts; }
    public void setInitialHosts(String v) { initialHosts = v; }
    public String getMcastAddress() { return mcastAddress; }
    public void setMcastAddress(String v) { mcastAddress = v; }
    public String getMcastPort() { return mcastPort; }
    public void setMcastPort(String v) { mcastPort = v; }
    public String getIpTtl() { return ipTtl; }
    public void setIpTtl(String v) { ipTtl = v; }
    public String getDnsQuery() { return dnsQuery; }
    public void setDnsQuery(String v) { dnsQuery = v; }
    public String getDnsRecordType() { return dnsRecordType; }
    public void setDnsRecordType(String v) { dnsRecordType = v; }
    public String getFdSockOffset() { return fdSockOffset; }
    public void setFdSockOffset(String v) { fdSockOffset = v; }
    public String getFailureDetectionInterval() { return failureDetectionInterval; }
    public void setFailureDetectionInterval(String v) { failureDetectionInterval = v; }
    public String getMergeMinInterval() { return mergeMinInterval; }
    public void setMergeMinInterval(String v) { mergeMinInterval = v; }
    public String getMergeMaxInterval() { return mergeMaxInterval; }
    public void setMergeMaxInterval(String v) { mergeMaxInterval = v; }
    public String getVerifySuspectTimeout() { return verifySuspectTimeout; }
    public void setVerifySuspectTimeout(String v) { verifySuspectTimeout = v; }
    public Tls getTls() { return tls; }
}
