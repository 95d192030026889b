package org.sessiongrid.threads;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes a member's threads: daemon threads named {@code sessiongrid-<member>-<role>} (numbered
 * {@code -1}, {@code -2}, ... for a pool whose threads should be told apart), with core's class loader
 * as context class loader, not the submitter's (possibly a webapp's): the grid outlives webapp reloads,
 * and a thread holding a webapp's loader would keep it from being collected.
 *
 * <p>Thread-safe; immutable apart from the counter of a numbered factory.
 */
public final class MemberThreads implements ThreadFactory {

    private final String prefix;
    private final AtomicInteger count;

    private MemberThreads(String prefix, boolean numbered) {
        this.prefix = prefix;
        this.count = numbered ? new AtomicInteger() : null;
    }

    /** Threads all named {@code sessiongrid-<member>-<role>} (a single thread, or a pool of alike ones). */
    public static MemberThreads named(String member, String role) {
        return new MemberThreads("sessiongrid-" + member + "-" + role, false);
    }

    /** Threads named {@code sessiongrid-<member>-<role>-<n>}, n counting from 1. */
    public static MemberThreads numbered(String member, String role) {
        return new MemberThreads("sessiongrid-" + member + "-" + role, true);
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, count == null ? prefix : prefix + "-" + count.incrementAndGet());
        t.setDaemon(true);
        t.setContextClassLoader(MemberThreads.class.getClassLoader());
        return t;
    }
}
