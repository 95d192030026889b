package org.sessiongrid.topology;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.threads.MemberThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread every piece of the coordinator runs on: each event (view, join, leave, confirmation, a check
 * that comes due) is a task on a single-threaded executor, so the decisions are made in one order and the pieces'
 * state needs no lock. The only state here that other threads touch is {@link #unanswered} (a concurrent set).
 *
 * <p>A caller that waits for an answer is never left waiting: the answer fails with the task's exception, or
 * when the thread is closed before the task ran.
 */
final class CoordinatorThread implements AutoCloseable {

    /** The coordinator's decisions are one stream of log lines, under one name, whichever piece makes them. */
    private static final Logger LOG = LoggerFactory.getLogger(TopologyCoordinator.class);

    private final ScheduledExecutorService executor;

    /** Answers callers wait on and the coordinator thread has not given yet; failed on {@link #close}. */
    private final Set<CompletableFuture<?>> unanswered = ConcurrentHashMap.newKeySet();

    CoordinatorThread(String nodeName) {
        this.executor = Executors.newSingleThreadScheduledExecutor(MemberThreads.named(nodeName, "coordinator"));
    }

    /** Runs {@code check} every {@code millis}, logging (never propagating) what it throws. */
    void every(long millis, Runnable check, String what) {
        executor.scheduleWithFixedDelay(() -> {
            try {
                check.run();
            } catch (RuntimeException e) {
                LOG.error("Coordinator's {} failed", what, e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** A task whose outcome nobody waits for (a view, a count report, a rebalance to try). */
    void run(Runnable task) {
        run(task, null);
    }

    /**
     * Runs {@code task} on the coordinator thread. {@code answer}, when given, is what a caller waits on:
     * it fails with the task's exception, or when the coordinator is closed before the task ran, so
     * that no join, leave or confirmation waits for an answer that cannot come.
     */
    void run(Runnable task, CompletableFuture<?> answer) {
        if (answer != null) {
            unanswered.add(answer);
            answer.whenComplete((r, e) -> unanswered.remove(answer));
        }
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    if (answer != null) {
                        answer.completeExceptionally(e);
                    }
                    if (e instanceof Error error) {
                        throw error;
                    }
                    LOG.error("Coordinator task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("Coordinator closed; event ignored");
            if (answer != null) {
                answer.completeExceptionally(closed());
            }
        }
    }

    /**
     * Runs {@code task} as a task of its own after {@code millis}, unless the thread is closed (a close meanwhile
     * fails the task, logged and ignored).
     */
    void later(long millis, Runnable task) {
        if (!executor.isShutdown()) {
            executor.schedule(() -> run(task), millis, TimeUnit.MILLISECONDS);
        }
    }

    private static IllegalStateException closed() {
        return new IllegalStateException("the coordinator of this member is closed");
    }

    @Override
    public void close() {
        executor.shutdownNow();
        unanswered.forEach(f -> f.completeExceptionally(closed()));
    }
}
