package org.sessiongrid.lease;

import java.util.concurrent.ConcurrentHashMap;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * Notes when this member last received anything from each member of its view: every message and batch
 * on its way up to the failure detector, whose heartbeats keep the notes fresh while no other traffic
 * flows. It sits right below the failure detector, so it sees what that sees, above the transport and
 * above SEAL: a message that fails the seal never renews a note.
 *
 * <p>A member that enters the view counts as heard at that moment: the view comes from a coordinator
 * that heard from it. A member that leaves the view is forgotten.
 *
 * <p>Thread safety: JGroups' delivering threads write a member's note (one volatile long), request
 * threads read it; the map changes only with views.
 */
public final class HeardFrom extends Protocol {

    /** The time (nanoTime) a member was last heard from. */
    private static final class Note {
        volatile long nanos;

        Note(long nanos) {
            this.nanos = nanos;
        }
    }

    private final ConcurrentHashMap<Address, Note> notes = new ConcurrentHashMap<>();

    @Override
    public Object up(Message msg) {
        heard(msg.getSrc());
        return up_prot.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        heard(batch.sender());
        up_prot.up(batch);
    }

    @Override
    public Object down(Event evt) {
        if (evt.getType() == Event.VIEW_CHANGE) {
            viewChanged(evt.getArg());
        }
        return down_prot.down(evt);
    }

    private void heard(Address from) {
        if (from != null) {
            Note n = notes.get(from);
            if (n != null) {
                n.nanos = System.nanoTime();
            }
        }
    }

    private void viewChanged(View view) {
        long now = System.nanoTime();
        for (Address a : view.getMembersRaw()) {
            notes.computeIfAbsent(a, k -> new Note(now));
        }
        notes.keySet().removeIf(a -> !view.containsMember(a));
    }

    /**
     * Nanoseconds since this member last heard from {@code member}, or {@link Long#MAX_VALUE} if it is not
     * in this member's view.
     */
    public long nanosSince(Address member) {
        Note n = member == null ? null : notes.get(member);
        return n == null ? Long.MAX_VALUE : System.nanoTime() - n.nanos;
    }
}
