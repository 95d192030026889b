package org.sessiongrid.it.rig;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jgroups.Message;
import org.jgroups.annotations.Property;
import org.jgroups.conf.AttributeType;
import org.jgroups.stack.Protocol;

/**
 * Delays every message a node sends by a constant time, in the order it was sent: the delay of fault 7 on kernels
 * without {@code tc netem}, placed just above the transport. JGroups' own DELAY hands delayed messages on from a
 * thread that polls its queue without ever blocking, a whole core kept busy: on the rig's 2-core machines that
 * starved every node, and the delayed node most, whose answers to JGroups' checks then came late. This waits on a
 * scheduler (one thread: messages with the same delay leave in the order they came).
 */
public class STEADY_DELAY extends Protocol {

    @Property(description = "Milliseconds every message sent waits before it goes down to the transport",
            type = AttributeType.TIME)
    protected long out_delay = 50;

    private volatile ScheduledThreadPoolExecutor timer;

    @Override
    public void start() throws Exception {
        super.start();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "steady-delay");
            th.setDaemon(true);
            return th;
        });
        timer = t;
    }

    @Override
    public void stop() {
        ScheduledThreadPoolExecutor t = timer;
        timer = null;
        if (t != null) {
            t.shutdownNow();
        }
        super.stop();
    }

    @Override
    public Object down(Message msg) {
        ScheduledThreadPoolExecutor t = timer;
        if (t == null || out_delay <= 0) {
            return down_prot.down(msg);
        }
        t.schedule(() -> down_prot.down(msg), out_delay, TimeUnit.MILLISECONDS);
        return null;
    }
}
