package org.sessiongrid.it.rig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.sessiongrid.testsupport.node.NodeMain;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;

/**
 * {@link NodeOrphanTest}'s middle process: starts a node that serves nothing ({@link Probe}), prints
 * {@code NODE <pid>} once the node is ready, and waits to be killed.
 */
public final class OrphanStarter {

    private OrphanStarter() {
    }

    /** {@code args[0]}: the node's log file. */
    public static void main(String[] args) throws Exception {
        ChildProcess node = ChildProcess.start("probe", JavaCommand.of(Probe.class)
                .classpath(System.getProperty("java.class.path")).args("probe").toList(), Path.of(args[0]));
        node.awaitReady(Duration.ofSeconds(60));
        System.out.println("NODE " + node.pid());
        System.out.flush();
        new CountDownLatch(1).await();
    }

    /** A node of the protocol whose container does nothing but wait. */
    public static final class Probe {

        private Probe() {
        }

        public static void main(String[] args) throws Exception {
            CountDownLatch stopped = new CountDownLatch(1);
            NodeMain.serve(args[0], new NodeMain.Container(() -> { }, () -> null, stopped::await, stopped::countDown));
        }
    }
}
