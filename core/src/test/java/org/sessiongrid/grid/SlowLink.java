package org.sessiongrid.grid;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.jgroups.Message;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.MessageBatch;

/**
 * A member's bad link, for tests: above the transport, delays every message it receives by a fixed time
 * (on a timer, so no JGroups thread waits) and drops a share of what it sends and receives (UNICAST3 and
 * NAKACK2 retransmit). JGroups' own DELAY spins a thread on a full core for its outgoing queue, too much
 * on a 2-core build machine.
 */
final class SlowLink extends Protocol {

    private final long delayMillis;
    private final double loss;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slow-link");
        t.setDaemon(true);
        return t;
    });

    private SlowLink(long delayMillis, double loss) {
        this.delayMillis = delayMillis;
        this.loss = loss;
    }

    /** Puts a slow link under {@code g}'s stack, right above its transport. */
    static SlowLink under(SessionGrid g, long delayMillis, double loss) {
        SlowLink link = new SlowLink(delayMillis, loss);
        ProtocolStack stack = g.node().transport().channel().getProtocolStack();
        Protocol transport = stack.getTransport();
        // Linked before it is inserted, so that no message travelling meanwhile meets a protocol without a neighbour.
        link.setDownProtocol(transport);
        link.setUpProtocol(transport.getUpProtocol());
        stack.insertProtocolInStack(link, transport, ProtocolStack.Position.ABOVE);
        return link;
    }

    private volatile boolean healed;

    private boolean lost() {
        return !healed && ThreadLocalRandom.current().nextDouble() < loss;
    }

    @Override
    public Object down(Message msg) {
        return lost() ? null : down_prot.down(msg);
    }

    @Override
    public Object up(Message msg) {
        if (healed) {
            return up_prot.up(msg);
        }
        if (!lost()) {
            later(() -> up_prot.up(msg));
        }
        return null;
    }

    @Override
    public void up(MessageBatch batch) {
        if (healed) {
            up_prot.up(batch);
            return;
        }
        // One by one: JGroups may reuse the batch once this returns.
        for (Message m : batch) {
            if (!lost()) {
                later(() -> up_prot.up(m));
            }
        }
    }

    private void later(Runnable delivery) {
        try {
            timer.schedule(delivery, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException healedMeanwhile) {
            delivery.run();
        }
    }

    /** Stops delaying and dropping (the link stays in the stack, passing everything at once). */
    void heal() {
        healed = true;
        timer.shutdown();
    }
}
