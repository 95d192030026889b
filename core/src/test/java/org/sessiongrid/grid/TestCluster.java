package org.sessiongrid.grid;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.topology.Topology;

/**
 * Several grid members in one JVM over the {@code test-loopback} stack (JGroups SHARED_LOOPBACK),
 * as JGroups' own tests run clusters. Closes every member it started.
 */
final class TestCluster implements AutoCloseable {

    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    final String name;
    private final UnaryOperator<GridConfig.Builder> settings;
    final List<SessionGrid> members = new ArrayList<>();
    private int started;

    TestCluster(String testName, UnaryOperator<GridConfig.Builder> settings) {
        this.name = testName + "-" + CLUSTERS.incrementAndGet() + "-" + ProcessHandle.current().pid();
        this.settings = settings;
    }

    TestCluster(String testName) {
        this(testName, b -> b);
    }

    GridConfig.Builder config(String nodeName) {
        return settings.apply(GridConfig.builder(name).stack("test-loopback").nodeName(nodeName).remoteTimeout(20_000));
    }

    /** Starts one more member and waits until every running member installed a stable topology with it. */
    SessionGrid startMember() {
        String nodeName = String.valueOf((char) ('A' + started));
        started++;
        SessionGrid g = SessionGrid.start(config(nodeName).build());
        members.add(g);
        return g;
    }

    TestCluster start(int n) {
        for (int i = 0; i < n; i++) {
            startMember();
        }
        awaitStable();
        return this;
    }

    List<SessionGrid> live() {
        return members.stream().filter(g -> g.topologyId() > 0).toList();
    }

    /**
     * Waits until every live member installed the same topology, it is not rebalancing, and its
     * table names exactly the live members.
     */
    void awaitStable() {
        Await.until("the topology of " + name + " is stable over the live members", Duration.ofSeconds(60), () -> {
            List<SessionGrid> live = live();
            if (live.isEmpty()) {
                return true;
            }
            Topology t = live.get(0).topology();
            if (t == null || t.isRebalancing()) {
                return false;
            }
            for (SessionGrid g : live) {
                if (g.topology() == null || g.topology().id() != t.id()) {
                    return false;
                }
            }
            List<String> owners = t.current().members().stream().map(Member::toString).sorted().toList();
            List<String> names = live.stream().map(SessionGrid::memberName).sorted().toList();
            // Stable = the coordinator has nothing left to do: the table is the balanced one for the members.
            return owners.equals(names)
                    && Placement.rebalance(t.current(), t.current().members(), t.numOwners()).equals(t.current());
        }, () -> live().stream().map(g -> g.memberName() + "@" + g.topology()).toList().toString());
    }

    /** Crashes members at the same instant (no leave, no hand-over). */
    void halt(SessionGrid... victims) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (SessionGrid v : victims) {
            threads.add(new Thread(v::halt));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
    }

    @Override
    public void close() {
        for (SessionGrid g : members) {
            try {
                g.halt();
            } catch (RuntimeException ignored) {
                // already stopped
            }
        }
    }
}
