package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import org.jgroups.logging.LogFactory;
import org.jgroups.protocols.pbcast.GMS;
import org.junit.jupiter.api.Test;
import org.slf4j.spi.LocationAwareLogger;

/** JGroups' log lines keep their level, their JGroups format and, for the provider, their source. */
class JGroupsLogTest {

    /** One call of {@link LocationAwareLogger#log}. */
    record Call(String fqcn, int level, String message, Throwable thrown) {
    }

    @Test
    void linesNameThisClassAsTheBoundarySoTheProviderFindsJGroupsAsTheirSource() {
        List<Call> calls = new ArrayList<>();
        JGroupsLog log = new JGroupsLog(recording(calls));

        log.info("%s: no members discovered after %.2fs", "t1", 2.0);
        log.debug("view %d", 7);
        log.warn("suspected %s", "t2");
        RuntimeException e = new RuntimeException("boom");
        log.error("failed", e);
        log.fatal("fatal %s", "x");
        log.trace((Object) "a trace");

        assertEquals(List.of(
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.INFO_INT, "t1: no members discovered after 2.00s", null),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.DEBUG_INT, "view 7", null),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.WARN_INT, "suspected t2", null),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.ERROR_INT, "failed", e),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.ERROR_INT, "fatal x", null),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.TRACE_INT, "a trace", null)), calls);
        log.setLevel("trace"); // a stack XML's level attribute: the provider decides, nothing fails
    }

    /**
     * A socket or TLS failure is an expected condition in a cluster (a member stopped, restarted, was refused): one
     * line names it, and its stack goes to DEBUG; any other exception keeps its stack in the line.
     */
    @Test
    void aNetworkFailureIsOneLineAndItsStackGoesToDebug() {
        List<Call> calls = new ArrayList<>();
        JGroupsLog log = new JGroupsLog(recording(calls));
        javax.net.ssl.SSLHandshakeException refused = new javax.net.ssl.SSLHandshakeException(
                "Received fatal alert: bad_certificate");
        java.io.IOException closed = new java.io.IOException("failed sending graceful close",
                new java.net.SocketException("Socket is closed"));
        IllegalStateException bug = new IllegalStateException("bug", new java.io.IOException("underneath"));

        log.warn("127.0.0.1:39429: failed handling message", refused);
        log.error("failed sending graceful close", closed);
        log.warn("a protocol failed", bug);

        assertEquals(List.of(
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.WARN_INT,
                        "127.0.0.1:39429: failed handling message: SSLHandshakeException: Received fatal alert: bad_certificate", null),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.DEBUG_INT,
                        "(the stack of the line above) 127.0.0.1:39429: failed handling message", refused),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.ERROR_INT,
                        "failed sending graceful close: IOException: failed sending graceful close (caused by SocketException: Socket is closed)", null),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.DEBUG_INT,
                        "(the stack of the line above) failed sending graceful close", closed),
                new Call(JGroupsLog.class.getName(), LocationAwareLogger.WARN_INT, "a protocol failed", bug)), calls);
    }

    @Test
    void theLoaderInstallsItForEveryProtocol() throws Exception {
        // Initialised as by every channel's creation.
        Class.forName(StackLoader.class.getName(), true, JGroupsLogTest.class.getClassLoader());
        assertInstanceOf(JGroupsLog.class, LogFactory.getLog(GMS.class));
    }

    /** A logger at TRACE that records every located call. */
    private static LocationAwareLogger recording(List<Call> calls) {
        return (LocationAwareLogger) Proxy.newProxyInstance(JGroupsLogTest.class.getClassLoader(),
                new Class<?>[] {LocationAwareLogger.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "log" -> {
                            assertNull(args[4], "arguments are formatted before");
                            calls.add(new Call((String) args[1], (Integer) args[2], (String) args[3], (Throwable) args[5]));
                            return null;
                        }
                        case "getName" -> {
                            return "recording";
                        }
                        default -> {
                            return method.getName().startsWith("is") && method.getReturnType() == boolean.class
                                    ? Boolean.TRUE : null;
                        }
                    }
                });
    }
}
