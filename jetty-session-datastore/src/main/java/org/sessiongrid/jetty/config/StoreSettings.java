package org.sessiongrid.jetty.config;

import java.util.Map;

import org.sessiongrid.settings.MemberName;
import org.sessiongrid.settings.ResolvedSettings;
import org.sessiongrid.settings.Settings;

/**
 * The SessionGrid settings of one Jetty server (one store factory), as Jetty XML or code set them:
 * core's {@link Settings} (the names, trimming, precedence and messages every container shares),
 * with the server's session worker name as the member's default name.
 *
 * <p>Thread-safe.
 */
public final class StoreSettings {

    private final Settings settings = new Settings("the Jetty property sessiongrid.%1$s"
            + " (start.d/session-store-sessiongrid.ini), SessionGridDataStoreFactory.setSetting(\"%1$s\", ...)");

    /** Records a setting; a null or blank value removes it. See {@link Settings#set}. */
    public void set(String name, String value) {
        settings.set(name, value);
    }

    /** The setting as set here, or null. */
    public String get(String name) {
        return settings.get(name);
    }

    /**
     * Checks every setting and builds the grid configuration.
     *
     * @param workerName the server's {@code DefaultSessionIdManager} worker name (null if not known
     *                   yet), the member name when {@code nodeName} is not set, so that both name the
     *                   same node; without one, the same unique default the jetty-home module gives it
     * @param system     system properties ({@code sessiongrid.<name>} fallbacks)
     * @throws IllegalArgumentException naming the setting, its value and the accepted values
     */
    public ResolvedSettings resolve(String workerName, Map<?, ?> system) {
        String name = workerName == null || workerName.isBlank() ? WorkerNames.defaultName() : workerName;
        return settings.resolve(MemberName.fallback(name, "the session worker name"), system);
    }
}
