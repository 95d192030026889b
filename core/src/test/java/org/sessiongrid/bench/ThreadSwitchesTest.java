package org.sessiongrid.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The JMH profiler's switch count keeps the switches of threads that ended within the span. */
class ThreadSwitchesTest {

    @Test
    void countsTheSwitchesOfAThreadThatEndedWithinTheSpan() throws Exception {
        ThreadSwitches span = ThreadSwitches.start(20);
        CountDownLatch end = new CountDownLatch(1);
        AtomicReference<String> tid = new AtomicReference<>();
        CountDownLatch slept = new CountDownLatch(1);
        // 200 sleeps: each blocks the thread, one voluntary switch apiece; then it waits to be let go.
        Thread sleeper = new Thread(() -> {
            try {
                tid.set(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
                for (int i = 0; i < 200; i++) {
                    Thread.sleep(1);
                }
                slept.countDown();
                end.await();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "sleeper");
        sleeper.start();
        assertTrue(slept.await(60, TimeUnit.SECONDS), "the sleeper did not finish its sleeps");
        // The sampler reads the sleeper after its sleeps (on a loaded machine it may take a while to run).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (span.of(tid.get())[0] < 200) {
            assertTrue(System.nanoTime() - deadline < 0,
                    "the sampler never saw the sleeper's 200 switches: " + span.of(tid.get())[0]);
            Thread.sleep(10);
        }
        end.countDown();
        sleeper.join();
        span.stop();
        // The sleeper is gone when the span ends; a reading of the live threads at the end has lost it.
        assertTrue(span.of(tid.get())[0] >= 200, "the ended thread's switches: " + span.of(tid.get())[0]);
    }
}
