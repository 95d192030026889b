package org.sessiongrid.boot;

import java.util.Optional;

import org.sessiongrid.grid.SessionGrid;

/**
 * The grid member this application's sessions live on, as the actuator's health indicator, info
 * contributor and meters read it. The container adapter owns the member (it acquires it when the web
 * server starts and releases it when it stops): readers must not release or stop it.
 */
@FunctionalInterface
public interface SessionGridHandle {

    /** The member while the web server runs; empty before it started and after it stopped. */
    Optional<SessionGrid> grid();
}
