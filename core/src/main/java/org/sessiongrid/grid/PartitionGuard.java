package org.sessiongrid.grid;

import java.util.Optional;

import org.sessiongrid.session.SessionKey;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;

/**
 * The partition policy on this member: under {@link PartitionPolicy#MINORITY_REFUSES_WRITES}, a member that
 * reaches at most half of its topology's members refuses to serve, since answering from a copy that the
 * majority may have changed would serve stale data.
 *
 * <p>Thread safety: no state of its own; asked on request threads and by the expiry pass.
 */
final class PartitionGuard {

    private final boolean minorityRefuses;
    private final InstalledTopology installed;
    private final ClusterTransport transport;

    PartitionGuard(PartitionPolicy policy, InstalledTopology installed, ClusterTransport transport) {
        this.minorityRefuses = policy == PartitionPolicy.MINORITY_REFUSES_WRITES;
        this.installed = installed;
        this.transport = transport;
    }

    /** True while this member is on the minority side of a partition and the policy says to refuse. */
    boolean refusesAsMinority() {
        if (!minorityRefuses) {
            return false;
        }
        Topology t = installed.get();
        if (t == null) {
            return false;
        }
        // Mutual reachability: after a heal JGroups can leave a member with a view that lists others whose
        // views do not list it; counted by its own view alone it would think itself part of a majority.
        long reachable = t.current().members().stream().filter(transport::isMutuallyInView).count();
        return reachable * 2 <= t.current().members().size();
    }

    /** Why this member refuses requests because of a partition, or empty while it does not. */
    Optional<String> refusal() {
        return refusesAsMinority()
                ? Optional.of("on the minority side of a partition (partitionPolicy=minority-refuses-writes);"
                        + " it serves again when the partition heals")
                : Optional.empty();
    }

    /** Throws {@link GridUnavailableException} while {@link #refusesAsMinority}. */
    void checkNotMinority(SessionKey key) {
        if (refusesAsMinority()) {
            Topology t = installed.get();
            long reachable = t.current().members().stream().filter(transport::isInView).count();
            throw new GridUnavailableException("session " + key + " refused: this member sees only " + reachable + " of "
                    + t.current().members().size() + " members, a minority partition (partitionPolicy=minority-refuses-writes);"
                    + " it serves again when the partition heals");
        }
    }
}
