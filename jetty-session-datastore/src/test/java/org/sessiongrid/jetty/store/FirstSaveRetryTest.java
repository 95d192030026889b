package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.DefaultSessionIdManager;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionManager;
import org.eclipse.jetty.session.UnwriteableSessionDataException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.GridUnavailableException;
import org.sessiongrid.grid.SessionOwners;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * The first save of a new session whose create got no answer because its primary died (the
 * fault matrix's IT5): the store tries once more against the new primary, and a record the first
 * attempt left there (applied at a backup that became primary) counts as this save's own because the retry
 * carries the same operation id; someone else's session under the id is refused. The grid is real (one member); a proxy in front of its store
 * plays the failover: the create's answer is lost and the topology id moves on.
 */
class FirstSaveRetryTest {

    /** What the next create does before the caller hears of it. */
    enum Fault {
        /** Applied at the grid, then the answer is lost and the topology changes (the primary died). */
        APPLIED_THEN_FAILOVER,
        /** Never applied, the topology changes. */
        LOST_THEN_FAILOVER,
        /**
         * Applied, the answer lost, and the new topology comes only after the caller gave up (as in
         * the fault matrix: failure detection took longer than remoteTimeout).
         */
        APPLIED_THEN_LATE_FAILOVER,
        /** Never applied, the topology stays (the primary is only slow): no retry. */
        LOST_NO_FAILOVER,
        /** Another session is created under the id meanwhile, the topology changes. */
        OTHER_SESSION_THEN_FAILOVER
    }

    static final class FailoverStore extends SessionGridDataStore {
        volatile Fault fault;
        final AtomicInteger creates = new AtomicInteger();
        final AtomicLong topologyBump = new AtomicLong();

        FailoverStore(StoreSettings settings, SessionManager manager) {
            super(settings, manager);
        }

        @Override
        SessionStore storeOf(SessionStore real) {
            return (SessionStore) Proxy.newProxyInstance(SessionStore.class.getClassLoader(),
                    new Class<?>[] {SessionStore.class}, (proxy, method, args) -> {
                        if (method.getName().equals("owners")) {
                            SessionOwners o = real.owners((String) args[0]);
                            return new SessionOwners(o.segment(), o.topologyId() + topologyBump.get(), o.primary(),
                                    o.backups());
                        }
                        if (method.getName().equals("create")) {
                            creates.incrementAndGet();
                            Fault f = fault;
                            fault = null;
                            if (f != null) {
                                String id = (String) args[0];
                                switch (f) {
                                    // Applied as sent (with the save's op id), then the answer is lost.
                                    case APPLIED_THEN_FAILOVER, APPLIED_THEN_LATE_FAILOVER -> method.invoke(real, args);
                                    case OTHER_SESSION_THEN_FAILOVER -> real.create(id, SessionDelta.builder()
                                            .set("n", new AttributeSerializer(null).encode("n", 41)).build());
                                    default -> { }
                                }
                                if (f == Fault.APPLIED_THEN_LATE_FAILOVER) {
                                    java.util.concurrent.CompletableFuture.delayedExecutor(300,
                                            java.util.concurrent.TimeUnit.MILLISECONDS)
                                            .execute(topologyBump::incrementAndGet);
                                } else if (f != Fault.LOST_NO_FAILOVER) {
                                    topologyBump.incrementAndGet();
                                }
                                throw new GridUnavailableException("test hook: no primary of session " + id
                                        + " answered within remoteTimeout");
                            }
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    private Server server;
    private FailoverStore store;

    private void start() throws Exception {
        server = new Server();
        DefaultSessionIdManager ids = new DefaultSessionIdManager(server);
        ids.setWorkerName("n1");
        server.addBean(ids, true);
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", "first-save-" + UUID.randomUUID());
        settings.set("stack", "test-loopback");
        settings.set("remoteTimeout", "2000"); // bounds the wait for a new topology in the no-failover case
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        store = new FailoverStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private SessionData newSession(String id, int n) {
        long now = System.currentTimeMillis();
        SessionData data = store.newSessionData(id, now, now, now, 1_800_000);
        data.setLastNode("n1");
        data.setAttribute("n", n);
        return data;
    }

    private Integer stored(String id) throws Exception {
        SessionRecord r = store.grid().store(store.namespace()).find(id, null);
        return r == null ? null : (Integer) new AttributeSerializer(null).decode("n", r.attribute("n"));
    }

    @Test
    void aCreateAppliedBeforeTheFailoverIsConfirmedAsThisSavesOwn() throws Exception {
        start();
        SessionData data = newSession("s1", 1);
        store.fault = Fault.APPLIED_THEN_FAILOVER;
        store.store("s1", data);
        assertEquals(2, store.creates.get(), "one retry against the new primary");
        assertTrue(data.getLastSaved() > 0, "the save must count as done");
        assertEquals(1, stored("s1"));
        // The session goes on normally: the next change is a commit on the confirmed record.
        data.setAttribute("n", 2);
        store.store("s1", data);
        assertEquals(2, stored("s1"));
    }

    @Test
    void aCreateWhoseFailoverCompletesAfterTheTimeoutIsConfirmedToo() throws Exception {
        start();
        SessionData data = newSession("s5", 1);
        store.fault = Fault.APPLIED_THEN_LATE_FAILOVER;
        store.store("s5", data);
        assertEquals(2, store.creates.get(), "one retry once the new topology is there");
        assertEquals(1, stored("s5"));
    }

    @Test
    void aCreateLostInTheFailoverIsMadeAtTheNewPrimary() throws Exception {
        start();
        SessionData data = newSession("s2", 1);
        store.fault = Fault.LOST_THEN_FAILOVER;
        store.store("s2", data);
        assertEquals(2, store.creates.get());
        assertEquals(1, stored("s2"));
    }

    @Test
    void withoutATopologyChangeTheFailureIsReportedNotRetried() throws Exception {
        start();
        SessionData data = newSession("s3", 1);
        store.fault = Fault.LOST_NO_FAILOVER;
        Exception e = assertThrows(Exception.class, () -> store.store("s3", data));
        assertTrue(e instanceof GridUnavailableException || e.getCause() instanceof GridUnavailableException,
                String.valueOf(e));
        assertEquals(1, store.creates.get());
        assertNull(stored("s3"));
        assertTrue(data.getLastSaved() <= 0, "a failed first save must leave the session unsaved");
    }

    @Test
    void anotherSessionFoundUnderTheIdOnTheRetryIsNeverOverwritten() throws Exception {
        start();
        SessionData data = newSession("s4", 1);
        store.fault = Fault.OTHER_SESSION_THEN_FAILOVER;
        UnwriteableSessionDataException e = assertThrows(UnwriteableSessionDataException.class,
                () -> store.store("s4", data));
        assertTrue(String.valueOf(e.getCause()).contains(SessionGridDataStore.NEVER_OVERWRITES), String.valueOf(e));
        assertEquals(2, store.creates.get());
        assertNotNull(stored("s4"));
        assertEquals(41, stored("s4"), "the other session was overwritten");
    }
}
