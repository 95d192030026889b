package org.sessiongrid.settings;

import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.LockingMode;

/**
 * The checked settings of one adapter instance.
 *
 * @param grid        the grid member's configuration
 * @param lockingMode which requests lock their session ({@code lockingMode})
 * @param lockTimeout milliseconds a request waits for its session's lock ({@code lockTimeout})
 * @param policy      what may be deserialized ({@code deserializationFilter})
 * @param copyIdleTimeout milliseconds a node keeps a session's decoded copy after its last request, 0 until the
 *                    session's timeout ({@code copyIdleTimeout}; the Tomcat manager's, Jetty's cache follows its own
 *                    {@code evictionPolicy})
 */
public record ResolvedSettings(GridConfig grid, LockingMode lockingMode, long lockTimeout, DeserializationPolicy policy,
                               long copyIdleTimeout) {
}
