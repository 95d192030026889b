package org.sessiongrid.bench.contender;

import org.sessiongrid.bench.farm.NodeJars.Container;

/**
 * What users would pick instead of SessionGrid, and SessionGrid itself: each starts node i of N on loopback
 * with the same counter webapp. Settings are each product's defaults unless the comment says otherwise.
 */
public enum Contender {

    /** SessionGrid's Tomcat manager, default settings (3 owners, synchronous replication), tcp stack. */
    SESSIONGRID_TOMCAT("SessionGrid (Tomcat 11)", Container.TOMCAT, "sessiongrid", true),
    /**
     * The same with a {@code clusterSecret}: every member-to-member message sealed (what a farm off loopback
     * runs, protected mode demanding it); against {@link #SESSIONGRID_TOMCAT} it gives the seal's cost.
     */
    SESSIONGRID_TOMCAT_SEALED("SessionGrid (Tomcat 11), clusterSecret", Container.TOMCAT, "sessiongrid", true),
    /** SessionGrid's Jetty 12 store and cache, default settings, tcp stack. */
    SESSIONGRID_JETTY("SessionGrid (Jetty 12)", Container.JETTY, "sessiongrid", true),
    /** Tomcat's in-process StandardManager: no replication, the upper bound (only valid with sticky routing). */
    STANDARD("Tomcat StandardManager", Container.TOMCAT, "standard", false),
    /**
     * Jetty's in-process sessions ({@code DefaultSessionCache}, {@code NullSessionDataStore}): no replication, what
     * Jetty itself costs per request, against which {@link #SESSIONGRID_JETTY} is read as STANDARD is for Tomcat.
     */
    JETTY_STANDARD("Jetty DefaultSessionCache", Container.JETTY, "standard", false),
    /** Tomcat's DeltaManager (every session on every node), static membership, default async sends. */
    DELTA("Tomcat DeltaManager", Container.TOMCAT, "delta", false),
    /** Tomcat's BackupManager (one backup), static membership, default async sends. */
    BACKUP("Tomcat BackupManager", Container.TOMCAT, "backup", false),
    /** Redisson's Tomcat manager (readMode REDIS, updateMode DEFAULT) over a local redis-server. */
    REDISSON("Redisson + redis-server", Container.TOMCAT, "redisson", false),
    /**
     * Hazelcast's session filter over an embedded member per node, {@code backup-count=2},
     * {@code sticky-session=false}: every request reads and writes the session in the cluster's map, so any node
     * serves the current session, the guarantees SessionGrid gives (see {@link HazelcastMember}).
     */
    HAZELCAST("Hazelcast (hazelcast-wm, sticky-session=false)", Container.TOMCAT, "hazelcast", false),
    /**
     * The same with the filter's default {@code sticky-session=true}: each node keeps a local copy it trusts for
     * requests that bring its own container cookie (behind a sticky balancer, every request); a request with
     * another node's gets a new container session and a fresh read from the map.
     */
    HAZELCAST_STICKY("Hazelcast (hazelcast-wm, sticky-session=true, its default)", Container.TOMCAT, "hazelcast",
            false);

    private final String label;
    private final Container container;
    private final String manager;
    private final boolean sessionGrid;

    Contender(String label, Container container, String manager, boolean sessionGrid) {
        this.label = label;
        this.container = container;
        this.manager = manager;
        this.sessionGrid = sessionGrid;
    }

    public String label() {
        return label;
    }

    public Container container() {
        return container;
    }

    /** The {@code bench.manager} value {@link BenchTomcatNode} understands. */
    public String manager() {
        return manager;
    }

    public boolean isSessionGrid() {
        return sessionGrid;
    }

    /** Whether the nodes hold a cluster secret (and seal every message with it). */
    public boolean sealed() {
        return this == SESSIONGRID_TOMCAT_SEALED;
    }

    /** Whether the nodes run Hazelcast's session filter over an embedded member. */
    public boolean hazelcast() {
        return this == HAZELCAST || this == HAZELCAST_STICKY;
    }

    /**
     * The cookie that carries the session id: the container's, but for Hazelcast's filter, which sets its own
     * beside it.
     */
    public String sessionCookie() {
        return hazelcast() ? "hazelcast.sessionId" : "JSESSIONID";
    }

    /** Whether the contender keeps a copy anywhere but the node that served the request. */
    public boolean replicates() {
        return this != STANDARD && this != JETTY_STANDARD;
    }

    /** The node's main class. */
    public String mainClass() {
        if (container == Container.JETTY) {
            return sessionGrid ? "org.sessiongrid.it.node.JettyFaultNode" : BenchJettyNode.class.getName();
        }
        return BenchTomcatNode.class.getName();
    }
}
