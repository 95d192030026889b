package org.sessiongrid.grid;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** Shared grids by cluster name; guarded by the class lock. */
    private static final Map<String, SessionGrid> SHARED = new HashMap<>();

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
        synchronized (SessionGrid.class) {
            SessionGrid g = SHARED.get(config.clusterName());
            if (g != null) {
                if (!g.config().equals(config)) {
                    throw new IllegalStateException("SessionGrid cluster '" + config.clusterName()
                            + "' already runs in this JVM with other settings (" + g.config() + " vs " + config
                            + "): give every webapp of one cluster the same settings, or use another clusterName");
                }
                g.references++;
                return g;
            }
            GridNode node = new GridNode(config);
            node.start();
            g = new SessionGrid(node, true);
            g.references = 1;
            SHARED.put(config.clusterName(), g);
            return g;
        }
    }

    /** Gives back a reference from {@link #acquire}; the last one leaves the cluster gracefully. */
    public void release() {
        if (shared) {
            synchronized (SessionGrid.class) {
                if (--references > 0) {
                    return;
                }
                SHARED.remove(config().clusterName(), this);
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
                SHARED.remove(config().clusterName(), this);
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
