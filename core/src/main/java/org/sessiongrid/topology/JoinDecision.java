package org.sessiongrid.topology;

/** The coordinator's answer to a join: accepted with the topology to install, or refused with the reason. */
public record JoinDecision(boolean accepted, String reason, Topology topology) {
}
