package org.sessiongrid.testsupport.threads;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves a grid member's or a JGroups channel's threads running: every thread
 * started while the class ran whose name is a member's ({@code sessiongrid-}) or a JGroups pool's
 * ({@code jgroups-}), or that is running grid or JGroups code, must have ended {@link #DEADLINE} (or
 * {@value #DEADLINE_PARAMETER}) after the class's last test. An open channel always has such a thread
 * (its transport's timer), so this also finds channels left open. The failure names the class and each
 * thread with what it is doing.
 *
 * <p>A leaked member keeps its channel, its stores and every record in them reachable until the test JVM
 * ends, and goes on exchanging heartbeats with nothing: in a fork that runs every grid test class, the
 * leaks of all classes add up. Threads that were alive before the class started are not its leaks and
 * are left out (a leak is reported once, by the class that made it).
 *
 * <p>Registered through {@code META-INF/services/org.junit.jupiter.api.extension.Extension}; a module
 * turns it on for all its test classes with {@code junit.jupiter.extensions.autodetection.enabled=true}.
 */
public final class LeftThreadsCheck implements BeforeAllCallback, AfterAllCallback {

    /**
     * How long a closed member's threads may take to end: an executor's shutdown interrupts its
     * threads, which then finish the task at hand; a loaded build machine may not schedule them at once.
     */
    static final Duration DEADLINE = Duration.ofSeconds(10);

    /** The JUnit configuration parameter that sets another deadline (ISO-8601, e.g. {@code PT1S}). */
    public static final String DEADLINE_PARAMETER = "sessiongrid.leftThreads.deadline";

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeftThreadsCheck.class);
    private static final String BEFORE = "threadsBefore";
    private static final List<String> NAME_PREFIXES = List.of("sessiongrid-", "jgroups-");
    private static final List<String> CODE_PREFIXES = List.of("org.sessiongrid.", "org.jgroups.");

    @Override
    public void beforeAll(ExtensionContext context) {
        Set<Thread> before = Collections.newSetFromMap(new IdentityHashMap<>());
        before.addAll(Thread.getAllStackTraces().keySet());
        context.getStore(NS).put(BEFORE, before);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        @SuppressWarnings("unchecked")
        Set<Thread> before = (Set<Thread>) context.getStore(NS).get(BEFORE);
        if (before == null) {
            return;
        }
        Duration wait = context.getConfigurationParameter(DEADLINE_PARAMETER, Duration::parse).orElse(DEADLINE);
        long deadline = System.nanoTime() + wait.toNanos();
        Map<Thread, StackTraceElement[]> left = left(before);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = left(before);
        }
        if (!left.isEmpty()) {
            throw new AssertionError(context.getRequiredTestClass().getName() + " left " + left.size()
                    + " grid or JGroups thread(s) running " + wait.toMillis() + " ms after its last test"
                    + " (a member or channel not closed): " + describe(left));
        }
    }

    /** The threads started since {@code before} that are still alive and belong to a member or a channel. */
    static Map<Thread, StackTraceElement[]> left(Set<Thread> before) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> !before.contains(e.getKey()) && e.getKey().isAlive() && ours(e.getKey(), e.getValue()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static boolean ours(Thread t, StackTraceElement[] stack) {
        return NAME_PREFIXES.stream().anyMatch(t.getName()::startsWith)
                || Arrays.stream(stack).anyMatch(f -> CODE_PREFIXES.stream().anyMatch(f.getClassName()::startsWith));
    }

    private static String describe(Map<Thread, StackTraceElement[]> left) {
        return left.entrySet().stream()
                .map(e -> e.getKey().getName() + " (" + e.getKey().getState() + " in " + where(e.getValue()) + ")")
                .sorted()
                .collect(Collectors.joining(", "));
    }

    /** The innermost grid or JGroups frame, else the top frame. */
    private static String where(StackTraceElement[] stack) {
        return Arrays.stream(stack)
                .filter(f -> CODE_PREFIXES.stream().anyMatch(f.getClassName()::startsWith))
                .findFirst()
                .or(() -> Arrays.stream(stack).findFirst())
                .map(f -> f.getClassName().replaceAll(".*\\.", "") + "." + f.getMethodName())
                .orElse("no frames");
    }
}
