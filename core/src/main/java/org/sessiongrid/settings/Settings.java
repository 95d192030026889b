package org.sessiongrid.settings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.RequestLocking;

/**
 * The SessionGrid settings of one adapter instance (a Tomcat {@code <Manager>}, a Jetty store
 * factory), kept as the text the container set and resolved together when the adapter starts, so
 * that a wrong value stops it with one message naming the setting, the value and what is accepted.
 * Both adapters resolve through this class, by these rules:
 *
 * <ul>
 * <li><b>Names</b>: the core's ({@link GridConfig#SETTINGS}), the adapter settings
 *     {@value #LOCKING_MODE}, {@value #LOCK_TIMEOUT} and {@value #COPY_IDLE_TIMEOUT}, and any name starting with
 *     {@value GridConfig#PREFIX}, which goes to the JGroups stack. Any other name is reported by
 *     {@link #resolve}, with the nearest known name: Tomcat passes unknown attributes to the manager
 *     while it parses {@code context.xml}, where an exception would only be logged.</li>
 * <li><b>Values</b>: trimmed, from every source; a blank value counts as not set (an unset Jetty
 *     property arrives as an empty string).</li>
 * <li><b>Precedence</b>: a value set here wins over the system property
 *     {@code sessiongrid.<name>}, which wins over the default.</li>
 * <li><b>The member's name</b>: {@code nodeName} as resolved, reconciled with the container's own
 *     name for the node ({@link MemberName}).</li>
 * </ul>
 *
 * <p>Thread-safe (settings are few and set once).
 */
public final class Settings {

    /** Which requests hold their session's cluster-wide lock: none, all or uriPattern:REGEX. */
    public static final String LOCKING_MODE = "lockingMode";
    /** Milliseconds a request waits for its session's lock before it is answered 503. */
    public static final String LOCK_TIMEOUT = "lockTimeout";
    /**
     * Milliseconds a node keeps a session's decoded copy (the container's session object) after the last
     * request used it; then only the grid's record stays in memory, and the next request decodes it again.
     * 0 keeps copies until the session's own timeout.
     */
    public static final String COPY_IDLE_TIMEOUT = "copyIdleTimeout";
    /** {@value #COPY_IDLE_TIMEOUT}'s default: a minute, longer than most users' pauses between two clicks. */
    public static final long DEFAULT_COPY_IDLE_TIMEOUT = 60_000;

    private final String howToSet;
    private final Map<String, String> values = new LinkedHashMap<>();

    /**
     * @param howToSet how a user sets a setting in this container, for messages: a format whose
     *                 {@code %1$s} is the setting's name (for example
     *                 {@code "%1$s=\"...\" on the <Manager> element"})
     */
    public Settings(String howToSet) {
        this.howToSet = Objects.requireNonNull(howToSet, "howToSet");
    }

    /** Records a setting, trimmed; a null or blank value removes it. Names are checked by {@link #resolve}. */
    public synchronized void set(String name, String value) {
        Objects.requireNonNull(name, "name");
        String v = clean(value);
        if (v == null) {
            values.remove(name);
        } else {
            values.put(name, v);
        }
    }

    /** The setting as set here (trimmed), or null. */
    public synchronized String get(String name) {
        return values.get(name);
    }

    /**
     * Checks every setting and builds the grid configuration.
     *
     * @param member the container's name for this node
     * @param system system properties ({@code sessiongrid.<name>} fallbacks)
     * @throws IllegalArgumentException naming the setting, its value and the accepted values
     */
    public synchronized ResolvedSettings resolve(MemberName member, Map<?, ?> system) {
        Objects.requireNonNull(member, "member");
        for (String name : values.keySet()) {
            requireKnown(name);
        }
        Map<String, String> fromSystem = new LinkedHashMap<>();
        GridConfig.prefixed(system).forEach((k, v) -> {
            String clean = clean(v);
            if (clean != null) {
                fromSystem.put(k, clean);
            }
        });
        String lockingText = pick(LOCKING_MODE, fromSystem);
        String lockTimeoutText = pick(LOCK_TIMEOUT, fromSystem);
        long copyIdleTimeout = copyIdleTimeout(pick(COPY_IDLE_TIMEOUT, fromSystem));
        // Adapter settings are not grid settings: keep them out of the stack properties.
        fromSystem.remove(GridConfig.PREFIX + LOCKING_MODE);
        fromSystem.remove(GridConfig.PREFIX + LOCK_TIMEOUT);
        fromSystem.remove(GridConfig.PREFIX + COPY_IDLE_TIMEOUT);

        if (pick("clusterName", fromSystem) == null) {
            throw new IllegalArgumentException("SessionGrid setting clusterName is missing: set " + how("clusterName")
                    + " or the system property " + GridConfig.PREFIX + "clusterName; every node of one farm uses"
                    + " the same name");
        }
        GridConfig.Builder b = GridConfig.builder(null);
        b.setAll(fromSystem);
        values.forEach((name, value) -> {
            if (!name.equals(LOCKING_MODE) && !name.equals(LOCK_TIMEOUT) && !name.equals(COPY_IDLE_TIMEOUT)) {
                b.set(name, value);
            }
        });
        String nodeName = member.choose(pick("nodeName", fromSystem));
        if (nodeName != null) {
            b.nodeName(nodeName);
        }
        GridConfig grid = b.build();
        RequestLocking locking = RequestLocking.parse(lockingText, lockTimeoutText);
        return new ResolvedSettings(grid, locking.mode(), locking.lockTimeout(),
                DeserializationPolicy.parse(grid.deserializationFilter()), copyIdleTimeout);
    }

    private long copyIdleTimeout(String text) {
        if (text == null) {
            return DEFAULT_COPY_IDLE_TIMEOUT;
        }
        try {
            long v = Long.parseLong(text);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("SessionGrid setting " + COPY_IDLE_TIMEOUT + "='" + text + "' is not valid:"
                + " milliseconds, 0 or more (0 keeps copies until the session's timeout); set " + how(COPY_IDLE_TIMEOUT));
    }

    private String pick(String name, Map<String, String> fromSystem) {
        String v = values.get(name);
        return v != null ? v : fromSystem.get(GridConfig.PREFIX + name);
    }

    private String how(String name) {
        return String.format(howToSet, name);
    }

    private void requireKnown(String name) {
        List<String> known = known();
        if (known.contains(name) || name.startsWith(GridConfig.PREFIX)) {
            return;
        }
        String nearest = nearest(name, known);
        String fix = nearest != null ? "did you mean " + how(nearest) + "? " : "remove it; ";
        throw new IllegalArgumentException("unknown SessionGrid setting '" + name + "': " + fix + "known settings: "
                + String.join(", ", known) + ", or a JGroups stack property starting with '" + GridConfig.PREFIX + "'");
    }

    private static List<String> known() {
        List<String> known = new ArrayList<>(GridConfig.SETTINGS);
        known.add(LOCKING_MODE);
        known.add(LOCK_TIMEOUT);
        known.add(COPY_IDLE_TIMEOUT);
        return known;
    }

    /** The known name within two edits of {@code name} (ignoring case), or null: the likely typo's fix. */
    private static String nearest(String name, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = distance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitution, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String clean(Object value) {
        if (value == null) {
            return null;
        }
        String v = value.toString().trim();
        return v.isEmpty() ? null : v;
    }
}
