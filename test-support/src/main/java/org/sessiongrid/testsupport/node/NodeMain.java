package org.sessiongrid.testsupport.node;

import java.util.function.Supplier;

/**
 * The protocol every node main of the tests follows, whatever its container: a shutdown hook that
 * stops the container (SIGTERM is a graceful stop), then start, then the {@value #READY} line once
 * the node serves, or the {@value #FAILED} line and exit code 2 if it does not, then serve until the
 * JVM ends. A node also ends when the process that started it ends: a test JVM that is killed, or a build
 * that is interrupted, runs no shutdown hook of its own and would otherwise leave its nodes running, holding
 * their ports and a share of the machine's cores.
 */
public final class NodeMain {

    /** First word of the line a node prints once it serves: {@code READY <name>}. */
    public static final String READY = "READY";
    /** First word of the line a node prints when it cannot serve: {@code FAILED <name>: why}. */
    public static final String FAILED = "FAILED";
    /** Exit code of a node that did not start. */
    public static final int EXIT_FAILED = 2;

    /** A step of a container that may fail. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * A node's container as the protocol drives it.
     *
     * @param start   starts the container; an exception is a failed start
     * @param problem why the started container does not serve what the node is for, or null if it does
     * @param await   blocks while the container serves
     * @param stop    stops the container gracefully (on the shutdown hook's thread)
     */
    public record Container(Action start, Supplier<String> problem, Action await, Action stop) {
    }

    private NodeMain() {
    }

    /** The line of a node that serves. */
    public static String readyLine(String name) {
        return READY + " " + name;
    }

    /** How long a node whose starter is gone waits for its graceful stop before it halts. */
    static final long ORPHAN_STOP_MILLIS = 15_000;

    /** Runs the protocol for the node {@code name}; returns when the container stops serving. */
    public static void serve(String name, Container container) throws Exception {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> stopOrphan(name, parent)));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                container.stop().run();
            } catch (Exception e) {
                System.err.println("node " + name + " did not stop cleanly: " + e);
            }
        }, "node-shutdown"));
        String problem;
        try {
            container.start().run();
            problem = container.problem().get();
        } catch (Exception e) {
            problem = "the container did not start: " + e;
            e.printStackTrace(System.out);
        }
        if (problem != null) {
            System.out.println(FAILED + " " + name + ": " + problem);
            System.out.flush();
            System.exit(EXIT_FAILED);
        }
        System.out.println(readyLine(name) + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        container.await().run();
    }

    /** The starter of this node is gone: stop as on SIGTERM, and halt if that does not end the JVM in time. */
    private static void stopOrphan(String name, ProcessHandle parent) {
        System.out.println("node " + name + ": the process that started it (pid " + parent.pid()
                + ") has ended: stopping");
        System.out.flush();
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(ORPHAN_STOP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            Runtime.getRuntime().halt(1);
        }, "node-orphan-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(0);
    }
}
