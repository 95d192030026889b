package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/** The opt-in per-session lock: lock, read, write, unlock from many members must lose no increment. */
class SessionLockTest {

    private static final String NS = "localhost/lock";

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /**
     * Runs {@code threads} incrementers through the given members until each made {@code perThread} acknowledged
     * increments; {@code unknown} counts commits that ended in {@link GridUnavailableException}: a failover
     * longer than remoteTimeout, after which the increment may or may not have been stored (as with any
     * request whose answer is lost), so it is made again.
     */
    private static List<Thread> incrementers(List<SessionGrid> through, String id, int threads, int perThread,
                                             AtomicInteger done, AtomicInteger unknown, AtomicReference<String> error) {
        List<Thread> out = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            SessionStore store = through.get(i % through.size()).store(NS);
            Thread t = new Thread(() -> {
                int made = 0;
                while (made < perThread && error.get() == null) {
                    try (SessionLock lock = store.lock(id, 20_000)) {
                        SessionRecord r = store.find(id, null);
                        long v = CounterLoad.decode(r);
                        store.commit(id, SessionDelta.builder().set(CounterLoad.ATTR, CounterLoad.encode(v + 1)).build(),
                                r, lock);
                        made++;
                        done.incrementAndGet();
                    } catch (GridUnavailableException e) {
                        // The primary died under us and the failover took longer than remoteTimeout: the
                        // commit's retries (exactly-once among themselves) ran out, its outcome is unknown.
                        unknown.incrementAndGet();
                    } catch (RuntimeException e) {
                        error.compareAndSet(null, e.toString());
                    }
                }
            }, "incrementer-" + i);
            t.start();
            out.add(t);
        }
        return out;
    }

    @Test
    void eightThreadsOnThreeNodesLoseNoIncrement() throws Exception {
        try (TestCluster c = new TestCluster("lock").start(3)) {
            String id = newId();
            c.members.get(0).store(NS).create(id, SessionDelta.builder().set(CounterLoad.ATTR, CounterLoad.encode(0)).build());
            AtomicInteger done = new AtomicInteger();
            AtomicInteger unknown = new AtomicInteger();
            AtomicReference<String> error = new AtomicReference<>();
            for (Thread t : incrementers(c.members, id, 8, 1_000, done, unknown, error)) {
                t.join();
            }
            assertNull(error.get());
            assertEquals(0, unknown.get(), "no member failed, yet commits ended without an answer");
            assertEquals(8_000, CounterLoad.decode(c.members.get(2).store(NS).find(id, null)));
        }
    }

    @Test
    void incrementsSurviveTheCrashOfTheLockingPrimary() throws Exception {
        try (TestCluster c = new TestCluster("lockcrash").start(4)) {
            SessionGrid primary = c.members.get(0);
            String id = primary.store(NS).newLocalId(SessionLockTest::newId);
            primary.store(NS).create(id, SessionDelta.builder().set(CounterLoad.ATTR, CounterLoad.encode(0)).build());
            AtomicInteger done = new AtomicInteger();
            AtomicInteger unknown = new AtomicInteger();
            AtomicReference<String> error = new AtomicReference<>();
            List<Thread> threads = incrementers(c.members.subList(1, 4), id, 8, 500, done, unknown, error);
            Await.until("a quarter of the increments are made", Duration.ofSeconds(60), () -> done.get() >= 1_000);
            c.halt(primary);
            for (Thread t : threads) {
                t.join();
            }
            assertNull(error.get());
            // Every acknowledged increment is there exactly once; of those whose answer was lost, none or some.
            for (SessionGrid g : c.live()) {
                long counter = CounterLoad.decode(g.store(NS).find(id, null));
                assertTrue(counter >= 4_000 && counter <= 4_000 + unknown.get(), "through " + g.memberName() + ": "
                        + counter + " with 4000 acknowledged and " + unknown.get() + " unanswered increments");
            }
        }
    }

    @Test
    void lockWaitEndsInAClearException() {
        try (TestCluster c = new TestCluster("locktimeout").start(2)) {
            String id = newId();
            c.members.get(0).store(NS).create(id, SessionDelta.builder().build());
            try (SessionLock held = c.members.get(0).store(NS).lock(id, 5_000)) {
                SessionLockTimeoutException e = assertThrows(SessionLockTimeoutException.class,
                        () -> c.members.get(1).store(NS).lock(id, 300));
                assertTrue(e.getMessage().contains("lockTimeout=300"), e.getMessage());
            }
            // Released: another member gets it at once.
            c.members.get(1).store(NS).lock(id, 1_000).close();
        }
    }

    @Test
    void lockOfADeadHolderIsReleased() throws Exception {
        try (TestCluster c = new TestCluster("lockdead").start(3)) {
            SessionGrid holder = c.members.get(2);
            String id = c.members.get(0).store(NS).newLocalId(SessionLockTest::newId);
            c.members.get(0).store(NS).create(id, SessionDelta.builder().build());
            SessionLock lock = holder.store(NS).lock(id, 5_000);
            assertTrue(lock != null);
            c.halt(holder);
            // The lock must be taken over once the holder is out of the view, within the wait.
            c.members.get(1).store(NS).lock(id, 20_000).close();
        }
    }

    @Test
    void commitWithALostLockIsRefused() {
        try (TestCluster c = new TestCluster("locklost").start(2)) {
            String id = newId();
            SessionStore a = c.members.get(0).store(NS);
            a.create(id, SessionDelta.builder().build());
            SessionLock first = a.lock(id, 1_000);
            first.close();
            SessionLock second = c.members.get(1).store(NS).lock(id, 1_000);
            assertThrows(SessionLockLostException.class, () -> a.commit(id,
                    SessionDelta.builder().set("x", new byte[1]).build(), null, first));
            second.close();
        }
    }
}
