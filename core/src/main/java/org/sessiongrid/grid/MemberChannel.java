package org.sessiongrid.grid;

import org.jgroups.JChannel;
import org.sessiongrid.jgroups.ChannelSecurity;
import org.sessiongrid.jgroups.SEAL;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.lease.MajorityLease;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.suspicion.SuspectProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a member's JGroups channel from its settings: the stack, sealed with the cluster secret or not, with
 * {@link SuspectProbe} below its VERIFY_SUSPECT2.
 */
final class MemberChannel {

    private static final Logger LOG = LoggerFactory.getLogger(MemberChannel.class);

    private MemberChannel() {
    }

    /**
     * The channel of a member with {@code config}, its dropped messages counted in {@code stats}.
     *
     * @throws GridStartException if the stack cannot be built
     */
    static JChannel open(GridConfig config, GridStats stats) {
        JChannel channel;
        try {
            channel = StackLoader.newChannel(config.stack(), config.stackProperties(), channelSecurity(config));
        } catch (Exception e) {
            throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "': " + e.getMessage(), e);
        }
        SEAL seal = channel.getProtocolStack().findProtocol(SEAL.class);
        if (seal != null) {
            seal.onDrop(stats::dropped);
        }
        try {
            SuspectProbe.insertInto(channel, config.nodeName(), stats::exitProven);
        } catch (Exception e) {
            channel.close();
            throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "': could not add the probe of"
                    + " suspected members to the stack: " + e.getMessage(), e);
        }
        return channel;
    }

    /**
     * Under {@code partitionPolicy=minority-refuses-writes}, the majority lease installed in {@code channel}'s
     * stack (before it connects); otherwise null.
     *
     * @throws GridStartException if the stack cannot carry the lease (no heartbeat failure detector)
     */
    static MajorityLease majorityLease(JChannel channel, GridConfig config) {
        if (config.partitionPolicy() != PartitionPolicy.MINORITY_REFUSES_WRITES) {
            return null;
        }
        MajorityLease lease;
        try {
            lease = MajorityLease.install(channel, config.backupTimeout());
        } catch (Exception e) {
            channel.close();
            throw new GridStartException("SessionGrid cluster '" + config.clusterName() + "': " + e.getMessage(), e);
        }
        LOG.info("Member {} serves under partitionPolicy=minority-refuses-writes while it has heard from a majority of"
                + " its topology within {} ms (its majority lease; heartbeats every {} ms)", config.nodeName(),
                lease.leaseMillis(), lease.heartbeatMillis());
        return lease;
    }

    /** The cluster secret seals every message; without one, protected mode unless security=none. */
    private static ChannelSecurity channelSecurity(GridConfig config) {
        if (config.isSealed()) {
            return ChannelSecurity.sealed(config.clusterName(), config.clusterSecrets());
        }
        return config.security() == GridConfig.Security.NONE ? ChannelSecurity.none()
                : ChannelSecurity.protectedMode(config.clusterName());
    }
}
