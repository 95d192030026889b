package org.sessiongrid.grid;

import org.jgroups.JChannel;
import org.sessiongrid.jgroups.ChannelSecurity;
import org.sessiongrid.jgroups.SEAL;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.suspicion.SuspectProbe;

/**
 * Builds a member's JGroups channel from its settings: the stack, sealed with the cluster secret or not, with
 * {@link SuspectProbe} below its VERIFY_SUSPECT2.
 */
final class MemberChannel {

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

    /** The cluster secret seals every message; without one, protected mode unless security=none. */
    private static ChannelSecurity channelSecurity(GridConfig config) {
        if (config.isSealed()) {
            return ChannelSecurity.sealed(config.clusterName(), config.clusterSecrets());
        }
        return config.security() == GridConfig.Security.NONE ? ChannelSecurity.none()
                : ChannelSecurity.protectedMode(config.clusterName());
    }
}
