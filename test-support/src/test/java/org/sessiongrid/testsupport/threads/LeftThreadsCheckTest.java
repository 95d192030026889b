package org.sessiongrid.testsupport.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs fixture classes under {@link LeftThreadsCheck} in a launcher of its own and reads their class results. */
class LeftThreadsCheckTest {

    /** Holds the fixture threads of the running test until it is over. */
    static volatile CountDownLatch release;

    @BeforeEach
    void hold() {
        release = new CountDownLatch(1);
    }

    @AfterEach
    void release() {
        release.countDown();
    }

    /** Results of the class containers of one run. */
    private static List<TestExecutionResult> run(Class<?> fixture) {
        List<TestExecutionResult> results = new CopyOnWriteArrayList<>();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(fixture))
                .configurationParameter(LeftThreadsCheck.DEADLINE_PARAMETER, "PT0.5S")
                .build();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.getSource().orElse(null) instanceof ClassSource) {
                    results.add(result);
                }
            }
        });
        return results;
    }

    @Test
    void aClassThatLeavesAMembersThreadRunningFailsNamingItselfAndTheThread() {
        List<TestExecutionResult> results = run(LeavesAMemberThread.class);
        assertEquals(1, results.size());
        assertEquals(TestExecutionResult.Status.FAILED, results.get(0).getStatus());
        String message = results.get(0).getThrowable().orElseThrow().getMessage();
        assertTrue(message.contains(LeavesAMemberThread.class.getName()), message);
        assertTrue(message.contains("sessiongrid-A-scheduler (WAITING"), message);
    }

    @Test
    void aClassThatLeavesAThreadRunningGridCodeUnderAnyNameFails() {
        List<TestExecutionResult> results = run(LeavesAThreadInGridCode.class);
        assertEquals(TestExecutionResult.Status.FAILED, results.get(0).getStatus());
        String message = results.get(0).getThrowable().orElseThrow().getMessage();
        assertTrue(message.contains("Timer runner-1 (WAITING in LeftThreadsCheckTest.awaitRelease)"), message);
    }

    @Test
    void aClassWhoseMemberThreadsEndWithinTheDeadlinePasses() {
        List<TestExecutionResult> results = run(StopsItsMemberThreads.class);
        assertEquals(List.of(TestExecutionResult.Status.SUCCESSFUL), results.stream().map(TestExecutionResult::getStatus).toList());
    }

    @Test
    void threadsThatWereRunningBeforeTheClassAreNotItsLeaks() throws InterruptedException {
        Thread earlier = new Thread(LeftThreadsCheckTest::awaitRelease, "sessiongrid-B-transfer");
        earlier.start();
        try {
            List<TestExecutionResult> results = run(StartsNothing.class);
            assertEquals(TestExecutionResult.Status.SUCCESSFUL, results.get(0).getStatus());
        } finally {
            release.countDown();
            earlier.join(10_000);
        }
    }

    static void awaitRelease() {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @ExtendWith(LeftThreadsCheck.class)
    static class LeavesAMemberThread {
        @Test
        void startsAndForgets() {
            new Thread(LeftThreadsCheckTest::awaitRelease, "sessiongrid-A-scheduler").start();
        }
    }

    @ExtendWith(LeftThreadsCheck.class)
    static class LeavesAThreadInGridCode {
        @Test
        void startsAndForgets() {
            new Thread(LeftThreadsCheckTest::awaitRelease, "Timer runner-1").start();
        }
    }

    @ExtendWith(LeftThreadsCheck.class)
    static class StopsItsMemberThreads {
        @Test
        void startsAndStops() throws InterruptedException {
            ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "sessiongrid-A-transfer"));
            pool.execute(() -> { });
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @ExtendWith(LeftThreadsCheck.class)
    static class StartsNothing {
        @Test
        void nothing() {
        }
    }
}
