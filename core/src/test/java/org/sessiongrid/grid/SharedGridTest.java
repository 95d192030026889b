package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jgroups.JChannel;
import org.junit.jupiter.api.Test;
import org.sessiongrid.jgroups.StackLoader;

/**
 * The JVM's shared grids ({@link SessionGrid#acquire}): a grid that takes long to join its cluster holds
 * up only the acquires of that cluster, not those of other clusters (another Tomcat context with its own
 * clusterName), nor their releases.
 */
class SharedGridTest {

    private static final long JOIN_TIMEOUT = 4_000;

    @Test
    void aSlowJoinDoesNotHoldUpAnotherClustersAcquire() throws Exception {
        long pid = ProcessHandle.current().pid();
        String slowName = "shared-slow-" + pid;
        // The slow cluster's coordinator is a bare channel that never answers a join: the member asking keeps
        // trying until joinTimeout.
        try (JChannel mute = StackLoader.newChannel("test-loopback", new Properties())) {
            mute.connect(slowName);
            GridConfig slow = GridConfig.builder(slowName).stack("test-loopback").nodeName("S").remoteTimeout(500)
                    .joinTimeout(JOIN_TIMEOUT).build();
            CompletableFuture<Throwable> slowAcquire = CompletableFuture.supplyAsync(() -> {
                try {
                    SessionGrid.acquire(slow).release();
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Thread.sleep(500); // the slow acquire is joining by now

            GridConfig fast = GridConfig.builder("shared-fast-" + pid).stack("test-loopback").nodeName("F").build();
            long started = System.nanoTime();
            SessionGrid g = SessionGrid.acquire(fast);
            SessionGrid again = SessionGrid.acquire(fast);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            boolean slowStillJoining = !slowAcquire.isDone();
            again.release();
            g.release();
            assertSame(g, again, "one grid per cluster name");
            assertTrue(slowStillJoining, "the other cluster's acquire returned only after the slow join ended ("
                    + tookMillis + " ms)");

            Throwable slowOutcome = slowAcquire.get(JOIN_TIMEOUT + 20_000, TimeUnit.MILLISECONDS);
            assertInstanceOf(GridStartException.class, slowOutcome, "no coordinator answers the slow join");
        }
    }

    @Test
    void acquiresOfOneClusterShareItsGridAndTheLastReleaseLeaves() {
        GridConfig config = GridConfig.builder("shared-one-" + ProcessHandle.current().pid()).stack("test-loopback")
                .nodeName("O").build();
        CompletableFuture<SessionGrid> a = CompletableFuture.supplyAsync(() -> SessionGrid.acquire(config));
        CompletableFuture<SessionGrid> b = CompletableFuture.supplyAsync(() -> SessionGrid.acquire(config));
        SessionGrid first = a.join();
        assertSame(first, b.join(), "concurrent acquires of one cluster get one grid");
        first.release();
        assertTrue(first.topologyId() > 0, "still acquired once");
        b.join().release();
        assertEquals(0, first.topologyId(), "the last release left the cluster");
    }
}
