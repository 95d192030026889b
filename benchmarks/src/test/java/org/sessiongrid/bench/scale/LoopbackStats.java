package org.sessiongrid.bench.scale;

import java.util.Map;

import org.jgroups.Address;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.TP;
import org.jgroups.util.AsciiString;

/**
 * The message counters of every member of one cluster on the in-JVM {@code test-loopback} stack. SessionGrid
 * does not expose its channel; SHARED_LOOPBACK keeps every transport of the JVM in a table its subclasses may
 * read, and each transport counts what it sent.
 */
final class LoopbackStats extends SHARED_LOOPBACK {

    /** Unicast messages and bytes sent by all members of {@code cluster} so far. */
    record Sent(long messages, long bytes) {
        Sent minus(Sent o) {
            return new Sent(messages - o.messages, bytes - o.bytes);
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
        Map<Address, SHARED_LOOPBACK> members = routing_table.get(new AsciiString(cluster));
        long msgs = 0;
        long bytes = 0;
        if (members != null) {
            for (TP tp : members.values()) {
                msgs += tp.getMessageStats().getNumUcastsSent();
                bytes += tp.getMessageStats().getNumUcastBytesSent();
            }
        }
        return new Sent(msgs, bytes);
    }
}
