package org.sessiongrid.grid;

import java.util.Optional;

import org.sessiongrid.lease.MajorityLease;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;

/**
 * The partition policy on this member: under {@link PartitionPolicy#MINORITY_REFUSES_WRITES}, a member that
 * reaches at most half of its topology's members refuses to serve, reads included, since answering from a
 * copy that the majority may have changed would serve stale data.
 *
 * <p>A member counts as reached while it is in this member's view, has not said that this member is absent
 * from its own, and was heard from within the {@link MajorityLease}. The lease is what makes the refusal come
 * in time: the majority excludes this member only after a write waited for it and a verification, while this
 * member's view may keep listing the other side until failure detection, long after the majority went on.
 *
 * <p>Thread safety: no state of its own; asked on request threads and by the expiry pass.
 */
final class PartitionGuard {

    /** Null unless the policy is {@link PartitionPolicy#MINORITY_REFUSES_WRITES}. */
    private final MajorityLease lease;
    private final InstalledTopology installed;
    private final ClusterTransport transport;

    PartitionGuard(MajorityLease lease, InstalledTopology installed, ClusterTransport transport) {
        this.lease = lease;
        this.installed = installed;
        this.transport = transport;
    }

    /** True while this member is on the minority side of a partition and the policy says to refuse. */
    boolean refusesAsMinority() {
        if (lease == null) {
            return false;
        }
        Topology t = installed.get();
        if (t == null) {
            return false;
        }
        return reached(t) * 2 <= t.current().members().size();
    }

    /**
     * Members of {@code t} this member reaches: itself, and those mutually in view and heard from within the
     * lease. Mutual: after a heal JGroups can leave a member with a view that lists others whose views do not
     * list it; counted by its own view alone it would think itself part of a majority.
     */
    private long reached(Topology t) {
        Member self = transport.self();
        long n = 0;
        for (Member m : t.current().members()) {
            if (m.equals(self) || (transport.isMutuallyInView(m) && lease.holds(transport.addressOf(m)))) {
                n++;
            }
        }
        return n;
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
            throw new GridUnavailableException("session " + key + " refused: this member has heard from only "
                    + reached(t) + " of the " + t.current().members().size() + " members of its topology within its"
                    + " majority lease of " + lease.leaseMillis() + " ms, a minority partition"
                    + " (partitionPolicy=minority-refuses-writes); it serves again when the partition heals");
        }
    }
}
