package org.sessiongrid.tomcat.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.catalina.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.sessiongrid.tomcat.SessionGridManager;
import org.sessiongrid.tomcat.multinode.WebUser;
import org.sessiongrid.tomcat.testapp.Activated;

/**
 * {@code copyIdleTimeout}: a copy no request used for that long leaves the manager's memory (only the grid's
 * record stays), its next request decodes every attribute again, {@code HttpSessionActivationListener} values hear
 * passivate then activate, and a copy a request holds is never dropped. One embedded node with a 200 ms timeout;
 * the test drives Tomcat's background tick itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdleCopyTest {

    private static final long IDLE_MILLIS = 200;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private EmbeddedTomcat tomcat;
    private SessionGridManager manager;

    @BeforeAll
    void start() throws Exception {
        tomcat = new EmbeddedTomcat("idle", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"idle\" stack=\"test-loopback\" nodeName=\"tomcat\" copyIdleTimeout=\"" + IDLE_MILLIS
                + "\"/>");
        manager = (SessionGridManager) tomcat.context.getManager();
    }

    @AfterAll
    void stop() throws Exception {
        pool.shutdownNow();
        if (tomcat != null) {
            tomcat.close();
        }
    }

    @Test
    void anIdleCopyLeavesMemoryAndItsNextRequestSeesEveryAttributeAfterPassivateThenActivate() throws Exception {
        WebUser u = new WebUser("idle");
        assertTrue(u.get(tomcat.url("/set?name=greeting&value=hello")).body().startsWith("ok"));
        assertTrue(u.get(tomcat.url("/activation")).body().startsWith("ok"));
        assertTrue(u.get(tomcat.url("/mutate")).body().startsWith("counter=1"));
        String key = SessionGridManagerKeys.key(u.sessionId);
        WeakReference<Session> before = new WeakReference<>(copyOf(key));
        assertNotNull(before.get(), "the copy is in the manager's map after its requests");

        awaitDropped(key);
        assertTrue(Activated.EVENTS.stream().anyMatch(e -> e.startsWith("passivate " + key)),
                "the dropped copy's activation listener heard sessionWillPassivate: " + Activated.EVENTS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (before.get() != null) {
            // Nothing else (the grid's record, a request scope, a cache) keeps the decoded copy reachable.
            assertTrue(System.nanoTime() < deadline, "the dropped copy stays reachable");
            System.gc();
            Thread.sleep(20);
        }

        // The next request decodes a copy from the record: every attribute is there, a change in place is kept.
        assertTrue(u.get(tomcat.url("/mutate")).body().startsWith("counter=2"), "the in-place change of the"
                + " mutable value made before the drop was committed and read back");
        String attrs = u.get(tomcat.url("/attrs")).body();
        assertTrue(attrs.contains("greeting=hello") && attrs.contains("box=2") && attrs.contains("activated="), attrs);
        List<String> mine = Activated.EVENTS.stream().filter(e -> e.contains(" " + key + " ")).toList();
        assertEquals(2, mine.size(), "one passivate, one activate: " + mine);
        assertTrue(mine.get(0).startsWith("passivate ") && mine.get(1).startsWith("activate "), "passivate first: " + mine);
        assertTrue(!mine.get(0).endsWith(mine.get(1).substring(mine.get(1).lastIndexOf(' '))),
                "the new copy's value is a new instance, decoded from the record: " + mine);
    }

    @Test
    void aCopyARequestHoldsIsNeverPassivatedNorDropped() throws Exception {
        WebUser u = new WebUser("held");
        assertTrue(u.get(tomcat.url("/counter")).body().startsWith("counter=1 "));
        assertTrue(u.get(tomcat.url("/activation")).body().startsWith("ok"));
        String key = SessionGridManagerKeys.key(u.sessionId);
        // A read-only request that has its session and reads it only after the hold: nothing uncommitted keeps
        // the copy, only the request using it.
        Future<HttpResponse<String>> holder = pool.submit(() -> u.get(tomcat.url("/attrs?hold=idle-held")));
        WebUser control = new WebUser("control");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!control.get(tomcat.url("/holding?key=idle-held")).body().startsWith("true")) {
            assertTrue(System.nanoTime() < deadline, "the request never reached its hold point");
            Thread.sleep(20);
        }
        Session held = copyOf(key);
        assertNotNull(held);
        // Well past the idle time measured from the held request's start: still in use, so still here, and its
        // values never heard sessionWillPassivate while the request may use them.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MILLIS);
        while (System.nanoTime() < until) {
            manager.backgroundProcess();
            assertSame(held, copyOf(key), "the copy the running request uses was dropped");
            Thread.sleep(20);
        }
        assertTrue(Activated.EVENTS.stream().noneMatch(e -> e.contains(" " + key + " ")),
                "passivated while a request used it: " + Activated.EVENTS);
        control.get(tomcat.url("/release?key=idle-held"));
        String attrs = holder.get(30, TimeUnit.SECONDS).body();
        assertTrue(attrs.contains("counter=1") && attrs.contains("activated="), attrs);
        awaitDropped(key);
        assertTrue(u.get(tomcat.url("/counter")).body().startsWith("counter=2 "));
        assertNotSame(held, copyOf(key));
    }

    @Test
    void aCopyWithTomcatNotesStays() throws Exception {
        WebUser u = new WebUser("noted");
        assertTrue(u.get(tomcat.url("/counter")).body().startsWith("counter=1 "));
        String key = SessionGridManagerKeys.key(u.sessionId);
        Session s = copyOf(key);
        // A FORM login in progress keeps its saved request in a note, which the grid's record does not carry.
        s.setNote("org.apache.catalina.authenticator.REQUEST", "saved");
        Thread.sleep(2 * IDLE_MILLIS); // the idle time itself is what is tested: the copy must outlive it
        manager.backgroundProcess();
        assertSame(s, copyOf(key), "a copy with a note was dropped");
        s.removeNote("org.apache.catalina.authenticator.REQUEST");
        awaitDropped(key);
    }

    private Session copyOf(String key) {
        for (Session s : manager.findSessions()) {
            if (SessionGridManagerKeys.key(s.getIdInternal()).equals(key)) {
                return s;
            }
        }
        return null;
    }

    private void awaitDropped(String key) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (copyOf(key) != null) {
            assertTrue(System.nanoTime() < deadline, "the idle copy of " + key + " was never dropped");
            manager.backgroundProcess();
            Thread.sleep(20);
        }
        assertNull(copyOf(key));
    }

    /** A session id without its route, as the manager keys its copies. */
    private static final class SessionGridManagerKeys {
        static String key(String id) {
            int dot = id.indexOf('.');
            return dot < 0 ? id : id.substring(0, dot);
        }
    }
}
