package org.sessiongrid.grid;

import org.jgroups.Message;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.MessageBatch;

/**
 * Makes a member receive the message types of a newer version as a member of an older version does, for
 * tests: above the transport, it turns the type code of every SessionGrid message of the given types into
 * one no version assigns, so the member's codec finds a type it does not know, drops the message and
 * answers that it is malformed, exactly as a member built before those types answers them.
 */
final class OlderPeer extends Protocol {

    /** SessionGrid's magic (WireCodec) and a type code no row has. */
    private static final int MAGIC_HIGH = 0x53;
    private static final int MAGIC_LOW = 0x47;
    private static final byte UNASSIGNED = (byte) 250;

    private final int[] unknownTypes;

    private OlderPeer(int[] unknownTypes) {
        this.unknownTypes = unknownTypes.clone();
    }

    /** Puts the older codec's view under {@code g}'s stack, right above its transport. */
    static OlderPeer under(SessionGrid g, int... unknownTypes) {
        OlderPeer p = new OlderPeer(unknownTypes);
        ProtocolStack stack = g.node().transport().channel().getProtocolStack();
        Protocol transport = stack.getTransport();
        // Linked before it is inserted, so that no message travelling meanwhile meets a protocol without a neighbour.
        p.setDownProtocol(transport);
        p.setUpProtocol(transport.getUpProtocol());
        stack.insertProtocolInStack(p, transport, ProtocolStack.Position.ABOVE);
        return p;
    }

    private void hideType(Message msg) {
        if (!msg.hasArray() || msg.getLength() < 4) {
            return;
        }
        byte[] b = msg.getArray();
        int o = msg.getOffset();
        if ((b[o] & 0xff) != MAGIC_HIGH || (b[o + 1] & 0xff) != MAGIC_LOW) {
            return;
        }
        for (int type : unknownTypes) {
            if ((b[o + 3] & 0xff) == type) {
                b[o + 3] = UNASSIGNED;
            }
        }
    }

    @Override
    public Object up(Message msg) {
        hideType(msg);
        return up_prot.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        for (Message m : batch) {
            hideType(m);
        }
        up_prot.up(batch);
    }
}
