package org.sessiongrid.jetty.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * SessionGrid versions of Jetty's clustered session scenarios (Jetty does not publish those tests),
 * on two servers of one EE in separate JVMs: an object of a webapp-only class crosses nodes,
 * invalidation is seen by the other node with eviction on exit, a session kept alive through the
 * other node is not scavenged by its creator and ends exactly once, and a session orphaned by a
 * crashed node is ended by the survivor, listeners once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AbstractClusteredScenariosTest {

    private final String ee;
    private Farm farm;

    AbstractClusteredScenariosTest(String ee) {
        this.ee = ee;
    }

    @BeforeAll
    void startFarm() throws Exception {
        Path classes = WebappClasses.compile(Path.of("target", "webapp-" + ee));
        farm = new Farm(ee).start(2, 1, 1, classes);
    }

    @AfterAll
    void stopFarm() {
        if (farm != null) {
            farm.close();
        }
    }

    private int destroyed(int node) throws Exception {
        return Integer.parseInt(farm.get(node, "/app/destroyed", new Farm.Client()));
    }

    private int destroyedUnchecked(int node) {
        try {
            return destroyed(node);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private int destroyedTotalUnchecked() {
        try {
            return destroyedTotal();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private int destroyedTotal() throws Exception {
        int n = 0;
        for (int i = 0; i < farm.nodes().size(); i++) {
            if (farm.node(i).process().isAlive()) {
                n += destroyed(i);
            }
        }
        return n;
    }

    @Test
    @Order(1)
    void objectOfWebappOnlyClassSetOnOneNodeIsReadOnTheOther() throws Exception {
        Farm.Client user = new Farm.Client();
        assertEquals("ok", farm.get(0, "/app/setobj?value=apples", user));
        assertEquals("Cart[apples]@webapp", farm.get(1, "/app/getobj", user));
    }

    @Test
    @Order(2)
    void invalidationOnOneNodeIsSeenByTheOtherWithEvictionOnExit() throws Exception {
        Farm.Client user = new Farm.Client();
        assertEquals("0", farm.get(0, "/evict/init", user));
        assertEquals("1", farm.get(1, "/evict/inc", user));
        assertEquals("1", farm.get(0, "/evict/get", user));
        assertEquals("ok", farm.get(0, "/evict/invalidate", user));
        assertEquals("none", farm.get(1, "/evict/get", user));
        assertEquals("none", farm.get(0, "/evict/get", user));
    }

    @Test
    @Order(3)
    void sessionKeptAliveOnTheOtherNodeIsNotScavengedByItsCreatorAndEndsOnce() throws Exception {
        int before = destroyedTotal();
        Farm.Client user = new Farm.Client();
        assertEquals("0", farm.get(0, "/app/init?maxInactive=3", user));
        // Used only through node 2 for more than three timeouts: node 1's copy times out, its
        // scavenger must see that node 2 manages the session now.
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int expected = 0;
        while (System.nanoTime() < until) {
            assertEquals(String.valueOf(++expected), farm.get(1, "/app/inc", user));
            assertEquals(before, destroyedTotal(), "a session in use was destroyed");
            Thread.sleep(1_000); // the client's think time, not a wait for the system
        }
        Farm.awaitTrue("the idle session to be destroyed", Duration.ofSeconds(30), () -> {
            try {
                return destroyedTotal() > before;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("none", farm.get(0, "/app/get", user));
        assertEquals("none", farm.get(1, "/app/get", user));
        // Three scavenge intervals and six grid expiry passes: every mechanism that could fire the
        // listener again (both nodes are alive, so no claimant waits) runs within the quiet period.
        Farm.assertStays("sessionDestroyed calls in the cluster", Duration.ofSeconds(3), this::destroyedTotalUnchecked,
                before + 1);
    }

    @Test
    @Order(4)
    void sessionOrphanedByACrashedNodeIsEndedByTheSurvivorOnce() throws Exception {
        int before = destroyed(1);
        Farm.Client user = new Farm.Client();
        assertEquals("0", farm.get(0, "/app/init?maxInactive=2", user));
        farm.crash(0);
        Farm.awaitTrue("the survivor to destroy the orphaned session", Duration.ofSeconds(30), () -> {
            try {
                return destroyed(1) > before;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("none", farm.get(1, "/app/get", user));
        // The crashed primary cannot announce; the survivor's claim waits 3 x remoteTimeout before it
        // announces, so a second call could come as late as that.
        Farm.assertStays("sessionDestroyed calls on the survivor", Duration.ofMillis(3 * Farm.REMOTE_TIMEOUT_MILLIS),
                () -> destroyedUnchecked(1), before + 1);
    }
}
