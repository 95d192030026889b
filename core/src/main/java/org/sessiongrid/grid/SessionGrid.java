package org.sessiongrid.grid;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

import java.lang.management.ManagementFactory;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

import org.sessiongrid.metrics.GridMetricsMXBean;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;

/**
 * A member of a SessionGrid cluster: every session on a primary and {@code numOwners - 1} backups,
 * whatever the cluster's size.
 *
 * <p>Container adapters share one grid per cluster name per JVM through {@link #acquire} and
 * {@link #release} (reference counted: every webapp of a Tomcat uses the same channel); each webapp
 * then works in its own {@link #store(String) namespace}. {@link #start} makes an unshared member,
 * for tests and tools that run several members in one JVM.
 */
public final class SessionGrid implements AutoCloseable {

    /**
     * Shared grids by cluster name, each from the moment its first {@link #acquire} begins to start it;
     * guarded by the class lock, which is held only to look an entry up or change it, never during a
     * start: the join may take up to {@code joinTimeout}, and other clusters' acquires and releases must
     * not wait for it.
     */
    private static final Map<String, Shared> SHARED = new HashMap<>();

    /** A shared grid, started or starting, and the settings it was acquired with. */
    private record Shared(GridConfig config, CompletableFuture<SessionGrid> grid) {
    }

    private final GridNode node;
    private final boolean shared;
    private final Map<String, SessionStore> stores = new ConcurrentHashMap<>();
    private int references; // guarded by the class lock (shared grids only)

    private final GridMetrics metrics;
    private final ObjectName objectName;

    private SessionGrid(GridNode node, boolean shared) {
        this.node = node;
        this.shared = shared;
        this.metrics = new GridMetrics(node);
        this.objectName = register(metrics, node.config());
    }

    /** The JMX name core registers a member's metrics under. */
    public static ObjectName objectName(String clusterName, String nodeName) {
        try {
            return new ObjectName("org.sessiongrid:type=SessionGrid,cluster=" + ObjectName.quote(clusterName)
                    + ",member=" + ObjectName.quote(nodeName));
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectName register(GridMetrics metrics, GridConfig config) {
        ObjectName name = objectName(config.clusterName(), config.nodeName());
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(metrics, name);
            return name;
        } catch (InstanceAlreadyExistsException e) {
            // Two members with one name in one JVM (tests): the first keeps the name.
            return null;
        } catch (JMException e) {
            throw new GridException("cannot register JMX metrics as " + name + ": " + e.getMessage(), e);
        }
    }

    private void unregister() {
        if (objectName != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
            } catch (JMException e) {
                // already gone
            }
        }
    }

    /** This member's metrics (also registered in the platform MBean server). */
    public GridMetricsMXBean metrics() {
        return metrics;
    }

    /**
     * Starts an unshared member and joins the cluster; returns once it has a topology.
     *
     * @throws GridStartException if the stack cannot be built, the cluster refuses this member, or no
     *                            coordinator answered within {@code joinTimeout}
     */
    public static SessionGrid start(GridConfig config) {
        GridNode node = new GridNode(config);
        node.start();
        return new SessionGrid(node, false);
    }

    /**
     * The JVM's grid for {@code config.clusterName()}, started on first use. Every call must be
     * matched by one {@link #release()}.
     *
     * @throws IllegalStateException if that cluster already runs here with other settings
     */
    public static SessionGrid acquire(GridConfig config) {
        while (true) {
            Shared entry;
            boolean starter = false;
            synchronized (SessionGrid.class) {
                entry = SHARED.get(config.clusterName());
                if (entry != null && !entry.config().equals(config)) {
                    throw new IllegalStateException("SessionGrid cluster '" + config.clusterName()
                            + "' already runs in this JVM with other settings (" + entry.config() + " vs " + config
                            + "): give every webapp of one cluster the same settings, or use another clusterName");
                }
                if (entry == null) {
                    entry = new Shared(config, new CompletableFuture<>());
                    SHARED.put(config.clusterName(), entry);
                    starter = true;
                }
            }
            if (starter) {
                startShared(entry);
            }
            SessionGrid g;
            try {
                g = entry.grid().join();
            } catch (CompletionException | CancellationException e) {
                continue; // its starter failed (and threw to its own caller): start it here
            }
            synchronized (SessionGrid.class) {
                if (SHARED.get(config.clusterName()) == entry) {
                    g.references++;
                    return g;
                }
            }
            // Released by its last other user between its start and here: start another.
        }
    }

    private static void startShared(Shared entry) {
        try {
            GridNode node = new GridNode(entry.config());
            node.start();
            entry.grid().complete(new SessionGrid(node, true));
        } catch (RuntimeException | Error e) {
            synchronized (SessionGrid.class) {
                SHARED.remove(entry.config().clusterName(), entry);
            }
            entry.grid().completeExceptionally(e);
            throw e;
        }
    }

    /** Removes this grid from {@link #SHARED}; the caller holds the class lock. */
    private void unshare() {
        Shared entry = SHARED.get(config().clusterName());
        if (entry != null && entry.grid().getNow(null) == this) {
            SHARED.remove(config().clusterName());
        }
    }

    /** Gives back a reference from {@link #acquire}; the last one leaves the cluster gracefully. */
    public void release() {
        if (shared) {
            synchronized (SessionGrid.class) {
                if (--references > 0) {
                    return;
                }
                unshare();
            }
        }
        unregister();
        node.leave();
    }

    /** For an unshared grid: leaves gracefully (hands this member's segments over first). */
    @Override
    public void close() {
        release();
    }

    /**
     * Stops at once without handing anything over, as a crash would. For fault tests and tools; the
     * other members detect the loss through the stack's failure detection.
     */
    public void halt() {
        if (shared) {
            synchronized (SessionGrid.class) {
                unshare();
            }
        }
        unregister();
        node.halt();
    }

    /** The store of one webapp namespace (host + context path). */
    public SessionStore store(String namespace) {
        return stores.computeIfAbsent(namespace, ns -> new GridSessionStore(node, ns));
    }

    public GridConfig config() {
        return node.config();
    }

    /** This member's name. */
    public String memberName() {
        return node.self().toString();
    }

    /** Names of the members in the current view, coordinator first. */
    public List<String> members() {
        return node.viewMembers().stream().map(Member::toString).toList();
    }

    /** True while this member is the coordinator (decides topologies). */
    public boolean isCoordinator() {
        List<Member> v = node.viewMembers();
        return !v.isEmpty() && v.get(0).equals(node.self());
    }

    /**
     * Why this member refuses its sessions' requests right now (they fail with
     * {@link GridUnavailableException}), or empty while it serves them. A member refuses while it is
     * joining, after it stopped, while it rejoins after a pause longer than failure detection (its copies
     * may be stale), and on the minority side of a partition under
     * {@link PartitionPolicy#MINORITY_REFUSES_WRITES}. Readiness checks read this: a balancer should send
     * nothing to a member that refuses.
     */
    public Optional<String> refusal() {
        return node.refusal();
    }

    /** Id of the installed topology (0 before joining). */
    public long topologyId() {
        Topology t = node.topology();
        return t == null ? 0 : t.id();
    }

    /**
     * True when no rebalance is running and every member of the view owns its share: sessions are where
     * they will stay until the next membership change. False before this member joined.
     */
    public boolean isStable() {
        Topology t = node.topology();
        return t != null && t.phase() == Phase.NONE && t.readTable().members().size() == members().size();
    }

    /**
     * The installed topology (null before joining), for core's own tests, benchmarks and diagnostics on
     * the class path. Not part of the module's API: {@link Topology} lies in a package the module does
     * not export; adapters use {@link #topologyId()}, {@link #isStable()} and {@link SessionStore#owners}.
     */
    @SuppressWarnings("exports")
    public Topology topology() {
        return node.topology();
    }

    /** Records this member holds (as primary or backup), tombstones included. */
    public int recordsHeld() {
        return node.records().size();
    }

    /**
     * Every live session of the namespaces starting with {@code namespacePrefix} in the whole cluster,
     * by namespace, without attribute values. For housekeeping (e.g. orphan cleaning across webapps).
     */
    public Map<String, List<SessionRecord>> listSessions(String namespacePrefix) {
        return node.listSessions(namespacePrefix, false);
    }

    public GridStats stats() {
        return node.stats();
    }

    /** Internal access for the package's status and metrics code. */
    GridNode node() {
        return node;
    }
}
