package org.sessiongrid.boot.tomcat;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.catalina.Container;
import org.apache.catalina.Context;
import org.apache.catalina.Engine;
import org.apache.catalina.Manager;
import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.tomcat.SessionGridManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.tomcat.TomcatContextCustomizer;

/**
 * Installs a {@link SessionGridManager} as the embedded Tomcat context's manager, with the settings of
 * {@code sessiongrid.*} as its attributes: the manager checks and resolves them when the context
 * starts, as it does for a {@code <Manager>} element in {@code context.xml}. What Boot configures on
 * the context keeps its meaning: {@code server.servlet.session.timeout} is the context's session
 * timeout, which the manager gives new sessions as their maximum inactive interval, and the cookie
 * settings are the context's.
 *
 * <p>The member's name is the Engine's {@code jvmRoute}, so that a session id's route suffix names the
 * session's primary for a sticky balancer. Boot sets no {@code jvmRoute}: when {@code nodeName} is set
 * and the Engine has none, it becomes the {@code jvmRoute}.
 */
public final class SessionGridTomcatCustomizer implements TomcatContextCustomizer, SessionGridHandle {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridTomcatCustomizer.class);

    private final Map<String, String> settings;
    private final CopyOnWriteArrayList<SessionGridManager> managers = new CopyOnWriteArrayList<>();

    /**
     * @param settings the settings by their names ({@link org.sessiongrid.boot.SessionGridProperties#settings()})
     */
    public SessionGridTomcatCustomizer(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
    }

    @Override
    public void customize(Context context) {
        Manager previous = context.getManager();
        if (previous != null) {
            // server.servlet.session.persistent put a StandardManager there: the grid keeps sessions across restarts.
            LOG.info("SessionGrid replaces {} of context [{}]; server.servlet.session.persistent has no effect",
                    previous.getClass().getSimpleName(), context.getName());
        }
        SessionGridManager manager = new SessionGridManager();
        settings.forEach(manager::setProperty);
        String nodeName = settings.get("nodeName");
        Engine engine = engineOf(context);
        if (nodeName != null && engine != null && engine.getJvmRoute() == null) {
            engine.setJvmRoute(nodeName);
        }
        context.setManager(manager);
        managers.add(manager);
    }

    private static Engine engineOf(Context context) {
        for (Container c = context.getParent(); c != null; c = c.getParent()) {
            if (c instanceof Engine e) {
                return e;
            }
        }
        return null;
    }

    @Override
    public Optional<SessionGrid> grid() {
        for (SessionGridManager m : managers) {
            SessionGrid g = m.getGrid();
            if (g != null) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }
}
