package org.sessiongrid.grid;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * Writer threads, one session each, that set a counter attribute to 1, 2, 3, ... through a given
 * member and remember the last value the grid acknowledged and the last one attempted. After a
 * fault, every copy must hold a value between the two: acknowledged writes are never lost, and
 * nothing appears that no one wrote.
 */
final class CounterLoad implements AutoCloseable {

    static final String ATTR = "counter";

    final List<String> ids;
    final AtomicLongArray acked;
    final AtomicLongArray attempted;
    final AtomicLong failures = new AtomicLong();
    final AtomicLong lastFailure = new AtomicLong();
    /** When each writer's current commit started (nanoTime), 0 between commits. */
    private final AtomicLongArray startedNanos;
    /** The longest commit that ended since {@link #resetSlowest()}, in nanoseconds. */
    private final AtomicLong slowestNanos = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    volatile String firstError;

    /**
     * @param ids      one session per writer; must exist
     * @param through  for writer i, the member it writes through: {@code through.get(i % size)}
     */
    CounterLoad(String namespace, List<String> ids, List<SessionGrid> through) {
        this.ids = List.copyOf(ids);
        this.acked = new AtomicLongArray(ids.size());
        this.attempted = new AtomicLongArray(ids.size());
        this.startedNanos = new AtomicLongArray(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            int w = i;
            SessionStore store = through.get(i % through.size()).store(namespace);
            Thread t = new Thread(() -> write(w, store), "writer-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    static byte[] encode(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    static long decode(SessionRecord r) {
        byte[] b = r.attribute(ATTR);
        return b == null ? 0 : ByteBuffer.wrap(b).getLong();
    }

    CounterLoad start() {
        threads.forEach(Thread::start);
        return this;
    }

    private void write(int w, SessionStore store) {
        SessionRecord base = null;
        long next = 1;
        while (running.get()) {
            attempted.set(w, next);
            long started = System.nanoTime();
            startedNanos.set(w, started);
            try {
                base = store.commit(ids.get(w), SessionDelta.builder().set(ATTR, encode(next)).build(), base);
                if (decode(base) != next) {
                    firstError = "commit of " + next + " to " + ids.get(w) + " returned a record with " + decode(base);
                }
                acked.set(w, next);
            } catch (GridUnavailableException e) {
                failures.incrementAndGet();
                lastFailure.set(System.nanoTime());
                base = null;
            } catch (RuntimeException e) {
                if (firstError == null) {
                    firstError = ids.get(w) + ": " + e;
                }
                base = null;
            }
            startedNanos.set(w, 0);
            long took = System.nanoTime() - started;
            slowestNanos.accumulateAndGet(took, Math::max);
            next++;
        }
    }

    /** Forgets the commits measured so far: {@link #slowestMillis()} then covers only what follows. */
    void resetSlowest() {
        slowestNanos.set(0);
    }

    /**
     * The longest commit since {@link #resetSlowest()}, a commit still running counted with the time it has run
     * so far (one that never ends must not look fast).
     */
    long slowestMillis() {
        long now = System.nanoTime();
        long slowest = slowestNanos.get();
        for (int i = 0; i < startedNanos.length(); i++) {
            long s = startedNanos.get(i);
            if (s != 0) {
                slowest = Math.max(slowest, now - s);
            }
        }
        return slowest / 1_000_000;
    }

    long totalAcked() {
        long n = 0;
        for (int i = 0; i < acked.length(); i++) {
            n += acked.get(i);
        }
        return n;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
        }
    }
}
