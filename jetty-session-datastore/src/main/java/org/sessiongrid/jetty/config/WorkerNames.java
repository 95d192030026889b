package org.sessiongrid.jetty.config;

import java.lang.management.ManagementFactory;

/**
 * Default name of a node when neither {@code jetty.sessionIdManager.workerName} nor
 * {@code sessiongrid.nodeName} is set: {@code host-pid}, unique per process on a host, with the dots
 * of a host name replaced because Jetty appends the worker name to session ids after a dot. Used by
 * the jetty-home module so that Jetty's worker name and the grid member name are the same by
 * default (Jetty's own default, {@code node0}, is the same on every node).
 */
public final class WorkerNames {

    private WorkerNames() {
    }

    /** {@code host-pid} with every character Jetty does not accept in a worker name replaced by '-'. */
    public static String defaultName() {
        String rt = ManagementFactory.getRuntimeMXBean().getName(); // "pid@host"
        int at = rt.indexOf('@');
        String name = at > 0 ? rt.substring(at + 1) + "-" + rt.substring(0, at) : rt;
        return name.replaceAll("[^A-Za-z0-9_-]", "-");
    }
}
