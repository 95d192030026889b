package org.sessiongrid.testsupport.process;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The processes one test fixture started, killed by their PIDs when it closes, or by a shutdown hook
 * if the test JVM ends first.
 */
public final class Reaper implements AutoCloseable {

    private final List<ChildProcess> processes = new CopyOnWriteArrayList<>();
    private final Thread hook;

    /** @param name the hook thread's name (which fixture it reaps) */
    public Reaper(String name) {
        this.hook = new Thread(this::killAll, name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Tracks {@code p} until close; returns it. */
    public ChildProcess track(ChildProcess p) {
        processes.add(p);
        return p;
    }

    /** SIGKILL to every tracked process still alive, then waits (up to 20 s each) until they are gone. */
    public void killAll() {
        for (ChildProcess p : processes) {
            p.sigkill();
        }
        for (ChildProcess p : processes) {
            try {
                p.process().waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
