package org.sessiongrid.tomcat;

import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.grid.LockingMode;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;

/**
 * What a started {@link SessionGridManager} works with: the grid member, the context's namespace in it, the
 * attribute codec, the webapp's class loader and the request settings, as the context's start resolved them.
 * Made once the grid is acquired and dropped at stop, so that a reload does not keep the old webapp loader; a
 * caller reads it once and works with that one, so that a stop meanwhile cannot hand it half of each.
 *
 * @param lockTimeout milliseconds a request waits for its session's lock
 */
record GridBinding(SessionGrid grid, SessionStore store, AttributeCodec codec, ClassLoader webappLoader,
                   LockingMode lockingMode, long lockTimeout) {

    /** The topology installed on this member. */
    long topologyId() {
        return grid.topologyId();
    }

    /** The grid's accessTimeGranularity: how late access times may reach a session's primary. */
    long accessTimeGranularity() {
        return grid.config().accessTimeGranularity();
    }
}
