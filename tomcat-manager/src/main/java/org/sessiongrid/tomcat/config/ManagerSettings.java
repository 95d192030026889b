package org.sessiongrid.tomcat.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.RequestLocking;

/**
 * The SessionGrid attributes of one {@code <Manager>} element, kept as the text Tomcat's digester
 * passed (after its own {@code ${sys.prop}} substitution) and checked together when the context
 * starts, so that a wrong value stops that context with a message naming the attribute, the value
 * and what is accepted.
 *
 * <p>Precedence: an attribute in {@code context.xml} wins over the system property
 * {@code sessiongrid.<name>}, which wins over the default. Names are the core's setting names
 * ({@link GridConfig#SETTINGS}) plus the adapter settings {@value #LOCKING_MODE} and
 * {@value #LOCK_TIMEOUT}; any {@code sessiongrid.*} name goes to the JGroups stack.
 *
 * <p>Not thread-safe: Tomcat sets attributes from one thread before it starts the manager.
 */
public final class ManagerSettings {

    /** Which requests hold their session's cluster-wide lock: none, all or uriPattern:REGEX. */
    public static final String LOCKING_MODE = "lockingMode";
    /** Milliseconds a request waits for its session's lock before it is answered 503. */
    public static final String LOCK_TIMEOUT = "lockTimeout";

    static final long DEFAULT_LOCK_TIMEOUT = RequestLocking.DEFAULT_LOCK_TIMEOUT;

    private final Map<String, String> values = new LinkedHashMap<>();

    /** Records an attribute; checked by {@link #resolve}. A null value removes it. */
    public void set(String name, String value) {
        Objects.requireNonNull(name, "name");
        if (value == null) {
            values.remove(name);
        } else {
            values.put(name, value);
        }
    }

    /** The attribute as set in {@code context.xml} (or by code), or null. */
    public String get(String name) {
        return values.get(name);
    }

    /**
     * Checks every setting and builds the grid configuration.
     *
     * @param jvmRoute   the Engine's jvmRoute or null; when set it is the member's name, so that a
     *                   session id's route suffix can name the session's primary
     * @param system     system properties ({@code sessiongrid.<name>} fallbacks)
     * @throws IllegalArgumentException naming the attribute, its value and the accepted values
     */
    public Resolved resolve(String jvmRoute, Map<?, ?> system) {
        Map<String, String> fromSystem = GridConfig.prefixed(system);
        String lockingText = pick(LOCKING_MODE, fromSystem);
        String lockTimeoutText = pick(LOCK_TIMEOUT, fromSystem);
        // Adapter settings are not grid settings: keep them out of the stack properties.
        fromSystem.remove(GridConfig.PREFIX + LOCKING_MODE);
        fromSystem.remove(GridConfig.PREFIX + LOCK_TIMEOUT);

        GridConfig.Builder b = GridConfig.builder(null);
        b.setAll(fromSystem);
        for (Map.Entry<String, String> e : values.entrySet()) {
            String name = e.getKey();
            if (name.equals(LOCKING_MODE) || name.equals(LOCK_TIMEOUT)) {
                continue;
            }
            if (!GridConfig.SETTINGS.contains(name) && !name.startsWith(GridConfig.PREFIX)) {
                throw new IllegalArgumentException("unknown SessionGrid attribute '" + name + "'; known attributes: "
                        + GridConfig.SETTINGS + ", " + LOCKING_MODE + ", " + LOCK_TIMEOUT
                        + ", or a JGroups stack property starting with '" + GridConfig.PREFIX + "'");
            }
            b.set(name, e.getValue());
        }
        String nodeName = pick("nodeName", fromSystem);
        if (jvmRoute != null && !jvmRoute.isEmpty()) {
            if (nodeName != null && !nodeName.trim().equals(jvmRoute)) {
                throw new IllegalArgumentException("SessionGrid setting nodeName=\"" + nodeName
                        + "\" is invalid: with a jvmRoute the member name must equal the Engine's jvmRoute (\""
                        + jvmRoute + "\") so that the session id's route names the session's primary;"
                        + " remove nodeName or set it to \"" + jvmRoute + "\"");
            }
            b.nodeName(jvmRoute);
        }
        if (pick("clusterName", fromSystem) == null) {
            throw new IllegalArgumentException("SessionGrid setting clusterName is missing: set clusterName=\"...\" on"
                    + " the <Manager> element (or the system property sessiongrid.clusterName); every node of"
                    + " one farm uses the same name");
        }
        GridConfig grid = b.build();
        RequestLocking locking = RequestLocking.parse(lockingText, lockTimeoutText);
        return new Resolved(grid, locking.mode(), locking.lockTimeout(), DeserializationPolicy.parse(grid.deserializationFilter()));
    }

    private String pick(String name, Map<String, String> fromSystem) {
        String v = values.get(name);
        return v != null ? v : fromSystem.get(GridConfig.PREFIX + name);
    }

    /**
     * Checked settings of one manager.
     *
     * @param grid        the grid member's configuration
     * @param lockingMode which requests lock their session
     * @param lockTimeout milliseconds a request waits for its session's lock
     * @param policy      what may be deserialized ({@code deserializationFilter})
     */
    public record Resolved(GridConfig grid, LockingMode lockingMode, long lockTimeout, DeserializationPolicy policy) {
    }
}
