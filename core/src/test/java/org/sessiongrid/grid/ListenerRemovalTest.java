package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;

/**
 * A webapp stopping on a member removes its listener ({@link SessionStore#setListener} with null) while the
 * grid runs on. An expiry the member announced must still reach that listener (in a rolling restart an
 * expiry is announced while the listener is being removed), and a listener that cannot take calls must
 * leave the announcement to a later pass.
 */
class ListenerRemovalTest {

    private static final String NS = "localhost/removal";

    @Test
    void removingAListenerWaitsForTheExpiryCallInFlight() throws Exception {
        try (TestCluster c = new TestCluster("removal", b -> b.accessTimeGranularity(100)).start(1)) {
            SessionGrid g = c.members.get(0);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<String> called = new CopyOnWriteArrayList<>();
            g.store(NS).setListener(last -> {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                called.add(last.key().id());
            });
            g.store(NS).create("ending", SessionDelta.builder().maxInactiveInterval(1).build());
            assertTrue(entered.await(30, TimeUnit.SECONDS), "the expiry call began");

            AtomicBoolean removed = new AtomicBoolean();
            Thread remover = new Thread(() -> {
                g.store(NS).setListener(null);
                removed.set(true);
            }, "webapp-stop");
            remover.start();
            Await.until("the removal waits for the call in flight", Duration.ofSeconds(10),
                    () -> remover.getState() == Thread.State.TIMED_WAITING);
            assertFalse(removed.get(), "removed while the expiry call was still running");
            release.countDown();
            remover.join(30_000);
            assertTrue(removed.get());
            assertEquals(List.of("ending"), called);
        }
    }

    @Test
    void anExpiryIsNotAnnouncedWhileTheListenerCannotTakeIt() throws Exception {
        try (TestCluster c = new TestCluster("not-accepting", b -> b.accessTimeGranularity(100)).start(1)) {
            SessionGrid g = c.members.get(0);
            AtomicBoolean running = new AtomicBoolean(false);
            List<String> called = new CopyOnWriteArrayList<>();
            g.store(NS).setListener(new SessionListener() {
                @Override
                public void expired(org.sessiongrid.session.SessionRecord last) {
                    called.add(last.key().id() + (running.get() ? "" : " while not running"));
                }

                @Override
                public boolean accepting() {
                    return running.get();
                }
            });
            g.store(NS).create("starting", SessionDelta.builder().maxInactiveInterval(1).build());
            SessionKey key = new SessionKey(NS, "starting");
            Await.until("the session expired", Duration.ofSeconds(30),
                    () -> g.node().records().get(key) != null && g.node().records().get(key).isUnannouncedExpiry());
            running.set(true);
            Await.until("the expiry announced once the listener takes calls", Duration.ofSeconds(30),
                    () -> !called.isEmpty());
            assertEquals(List.of("starting"), called);
            assertTrue(g.node().records().get(key).isEnded());
        }
    }
}
