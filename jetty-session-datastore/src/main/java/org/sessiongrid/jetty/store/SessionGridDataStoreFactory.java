package org.sessiongrid.jetty.store;

import org.eclipse.jetty.session.AbstractSessionDataStoreFactory;
import org.eclipse.jetty.session.SessionDataStore;
import org.eclipse.jetty.session.SessionManager;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.jetty.config.StoreSettings;

/**
 * Makes a {@link SessionGridDataStore} for every context of a Jetty server. Register it once on the
 * server ({@code server.addBean(factory)}, or the jetty-home module {@code session-store-sessiongrid});
 * every context then keeps its sessions in the grid, and all of them share one JGroups channel.
 *
 * <pre>{@code
 * SessionGridDataStoreFactory grid = new SessionGridDataStoreFactory();
 * grid.setClusterName("shop");
 * grid.setStack("tcp");
 * grid.setSetting("sessiongrid.initialHosts", "10.0.0.1[7800],10.0.0.2[7800]");
 * server.addBean(grid);
 * server.addBean(new SessionGridSessionCacheFactory()); // coherent copies, sticky or not
 * }</pre>
 *
 * <p>Settings have the core's names ({@link GridConfig#SETTINGS}), the same as the Tomcat manager's
 * attributes; a value set here wins over the system property {@code sessiongrid.<name>}. The grid
 * member's name ({@code nodeName}) defaults to the server's session worker name, which must be
 * unique in the farm. The grace and save periods are Jetty's and are copied into each store.
 */
public class SessionGridDataStoreFactory extends AbstractSessionDataStoreFactory {

    private final StoreSettings settings = new StoreSettings();

    /**
     * Sets any setting by name: a core setting, {@code lockingMode}, {@code lockTimeout}, or a JGroups
     * stack property starting with {@code sessiongrid.}. A null or blank value leaves the default.
     * Names and values are checked when the first context starts.
     */
    public void setSetting(String name, String value) {
        settings.set(name, value);
    }

    /** A setting as set on this factory, or null. */
    public String getSetting(String name) {
        return settings.get(name);
    }

    /** Cluster name: nodes with the same name (and stack) share their sessions. Required. */
    public void setClusterName(String clusterName) {
        settings.set("clusterName", clusterName);
    }

    public String getClusterName() {
        return settings.get("clusterName");
    }

    /** JGroups stack: udp (default), tcp, kubernetes, tls, a file or a URL. */
    public void setStack(String stack) {
        settings.set("stack", stack);
    }

    public String getStack() {
        return settings.get("stack");
    }

    /** This member's name; defaults to the server's session worker name. */
    public void setNodeName(String nodeName) {
        settings.set("nodeName", nodeName);
    }

    public String getNodeName() {
        return settings.get("nodeName");
    }

    @Override
    public SessionDataStore getSessionDataStore(SessionManager manager) {
        SessionGridDataStore store = new SessionGridDataStore(settings, manager);
        store.setGracePeriodSec(getGracePeriodSec());
        store.setSavePeriodSec(getSavePeriodSec());
        return store;
    }
}
