package org.sessiongrid.jetty.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.RequestLocking;

/**
 * The SessionGrid settings of one Jetty server (one store factory), kept as text as Jetty XML or
 * code set them and checked together when the first context starts, so that a wrong value stops
 * that context with a message naming the setting, the value and what is accepted.
 *
 * <p>Names are the core's ({@link GridConfig#SETTINGS}) plus the adapter settings
 * {@value #LOCKING_MODE} and {@value #LOCK_TIMEOUT}: the same names as the Tomcat manager's
 * attributes. A value set here wins over the system property {@code sessiongrid.<name>}, which
 * wins over the default; any other {@code sessiongrid.*} name goes to the JGroups stack
 * ({@code sessiongrid.bindAddress}, {@code sessiongrid.initialHosts}, ...).
 *
 * <p>Thread-safe (settings are few and set once).
 */
public final class StoreSettings {

    /** Which requests hold their session's cluster-wide lock: none, all or uriPattern:REGEX. */
    public static final String LOCKING_MODE = "lockingMode";
    /** Milliseconds a request waits for its session's lock. */
    public static final String LOCK_TIMEOUT = "lockTimeout";

    static final long DEFAULT_LOCK_TIMEOUT = RequestLocking.DEFAULT_LOCK_TIMEOUT;

    private final Map<String, String> values = new LinkedHashMap<>();

    /**
     * Records a setting; a null or blank value removes it (so that an unset Jetty property leaves the
     * default in place).
     *
     * @throws IllegalArgumentException if the name is not a setting, naming the known ones
     */
    public synchronized void set(String name, String value) {
        Objects.requireNonNull(name, "name");
        if (!GridConfig.SETTINGS.contains(name) && !name.equals(LOCKING_MODE) && !name.equals(LOCK_TIMEOUT)
                && !name.startsWith(GridConfig.PREFIX)) {
            throw new IllegalArgumentException("unknown SessionGrid setting '" + name + "'; known settings: "
                    + GridConfig.SETTINGS + ", " + LOCKING_MODE + ", " + LOCK_TIMEOUT
                    + ", or a JGroups stack property starting with '" + GridConfig.PREFIX + "'");
        }
        if (value == null || value.isBlank()) {
            values.remove(name);
        } else {
            values.put(name, value.trim());
        }
    }

    /** The setting as set here, or null. */
    public synchronized String get(String name) {
        return values.get(name);
    }

    /**
     * Checks every setting and builds the grid configuration.
     *
     * @param workerName the server's {@code DefaultSessionIdManager} worker name (null if not known
     *                   yet), the member name when {@code nodeName} is not set, so that both name the
     *                   same node
     * @param system     system properties ({@code sessiongrid.<name>} fallbacks)
     * @throws IllegalArgumentException naming the setting, its value and the accepted values
     */
    public synchronized Resolved resolve(String workerName, Map<?, ?> system) {
        Map<String, String> fromSystem = GridConfig.prefixed(system);
        String lockingText = pick(LOCKING_MODE, fromSystem);
        String lockTimeoutText = pick(LOCK_TIMEOUT, fromSystem);
        // Adapter settings are not grid settings: keep them out of the stack properties.
        fromSystem.remove(GridConfig.PREFIX + LOCKING_MODE);
        fromSystem.remove(GridConfig.PREFIX + LOCK_TIMEOUT);

        if (pick("clusterName", fromSystem) == null) {
            throw new IllegalArgumentException("SessionGrid setting clusterName is missing: set the Jetty property"
                    + " sessiongrid.clusterName (start.d/session-store-sessiongrid.ini), call"
                    + " SessionGridDataStoreFactory.setClusterName, or set the system property sessiongrid.clusterName;"
                    + " every node of one farm uses the same name");
        }
        GridConfig.Builder b = GridConfig.builder(null);
        b.setAll(fromSystem);
        values.forEach((name, value) -> {
            if (!name.equals(LOCKING_MODE) && !name.equals(LOCK_TIMEOUT)) {
                b.set(name, value);
            }
        });
        if (pick("nodeName", fromSystem) == null) {
            // Jetty's worker name when the id manager already has one (it starts after the contexts
            // in some embedded setups), else the same unique default the jetty-home module gives it.
            b.nodeName(workerName == null || workerName.isBlank() ? WorkerNames.defaultName() : workerName);
        }
        GridConfig grid = b.build();
        RequestLocking locking = RequestLocking.parse(lockingText, lockTimeoutText);
        return new Resolved(grid, locking.mode(), locking.lockTimeout());
    }

    private String pick(String name, Map<String, String> fromSystem) {
        String v = values.get(name);
        return v != null ? v : fromSystem.get(GridConfig.PREFIX + name);
    }

    /**
     * Checked settings.
     *
     * @param grid        the grid member's configuration
     * @param lockingMode which requests lock their session
     * @param lockTimeout milliseconds a request waits for its session's lock
     */
    public record Resolved(GridConfig grid, LockingMode lockingMode, long lockTimeout) {
    }
}
