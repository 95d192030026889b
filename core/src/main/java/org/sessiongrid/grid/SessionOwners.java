package org.sessiongrid.grid;

import java.util.List;

/**
 * Where a session lives under the current topology: its segment, primary and backups (member
 * names), as the demo page and the route rewriting show it.
 */
public record SessionOwners(int segment, long topologyId, String primary, List<String> backups) {
    public SessionOwners {
        backups = List.copyOf(backups);
    }
}
