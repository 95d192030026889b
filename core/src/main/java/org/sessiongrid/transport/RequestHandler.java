package org.sessiongrid.transport;

import org.sessiongrid.placement.Member;
import org.sessiongrid.wire.GridMessage;

/** Handles a decoded request from another member; runs on the transport's executor and may block. */
@FunctionalInterface
public interface RequestHandler {
    GridMessage handle(Member sender, GridMessage request);
}
