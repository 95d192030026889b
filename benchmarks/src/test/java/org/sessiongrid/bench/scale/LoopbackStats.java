package org.sessiongrid.bench.scale;

import java.util.Map;

import org.jgroups.Address;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.TP;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.util.AsciiString;
import org.sessiongrid.transport.ClusterTransport;

/**
 * The message counters of every member of one cluster on the in-JVM {@code test-loopback} stack. SessionGrid
 * does not expose its channel; SHARED_LOOPBACK keeps every transport of the JVM in a table its subclasses may
 * read, and each transport counts what it sent.
 */
final class LoopbackStats extends SHARED_LOOPBACK {

    /**
     * Unicast messages and their bytes sent so far. Bytes are JGroups' count: each message's payload
     * ({@code Message.getLength()}), without JGroups headers: acknowledgements count as messages of 0 bytes, while
     * stability gossip carries its digest of all members as payload. Of the messages, {@code acks} are UNICAST3's acknowledgements and {@code retransmissions}
     * UNICAST3's resends of messages not acknowledged within its xmit_interval.
     */
    record Sent(long messages, long bytes, long acks, long retransmissions) {
        Sent minus(Sent o) {
            return new Sent(messages - o.messages, bytes - o.bytes, acks - o.acks,
                    retransmissions - o.retransmissions);
        }
    }

    private LoopbackStats() {
    }

    /**
     * Turns the transports' counters on (JGroups keeps them off by default) and returns how many members of
     * {@code cluster} were found.
     */
    static int enable(String cluster) {
        Map<Address, SHARED_LOOPBACK> members = routing_table.get(new AsciiString(cluster));
        if (members == null || members.isEmpty()) {
            throw new IllegalStateException("no SHARED_LOOPBACK transport of cluster " + cluster + " in this JVM");
        }
        for (TP tp : members.values()) {
            tp.enableStats(true);
        }
        return members.size();
    }

    static Sent unicastsSent(String cluster) {
        return unicastsSent(cluster, null);
    }

    /** As {@link #unicastsSent(String)}, by the member named {@code member} alone (null: every member). */
    static Sent unicastsSent(String cluster, String member) {
        Map<Address, SHARED_LOOPBACK> members = routing_table.get(new AsciiString(cluster));
        long msgs = 0;
        long bytes = 0;
        long acks = 0;
        long xmits = 0;
        int counted = 0;
        if (members != null) {
            for (Map.Entry<Address, SHARED_LOOPBACK> e : members.entrySet()) {
                if (member == null || member.equals(ClusterTransport.memberOf(e.getKey()).name())) {
                    TP tp = e.getValue();
                    msgs += tp.getMessageStats().getNumUcastsSent();
                    bytes += tp.getMessageStats().getNumUcastBytesSent();
                    UNICAST3 unicast = tp.getProtocolStack().findProtocol(UNICAST3.class);
                    acks += unicast.getNumAcksSent();
                    xmits += unicast.getNumXmits();
                    counted++;
                }
            }
        }
        if (member != null && counted != 1) {
            throw new IllegalStateException(counted + " transports of cluster " + cluster + " belong to " + member);
        }
        return new Sent(msgs, bytes, acks, xmits);
    }
}
