package org.sessiongrid.jetty.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.DefaultSessionIdManager;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.session.SessionRecord;

/**
 * Jetty saves a session twice per request that changed it: at the response's commit, and when the request
 * leaves the session (with its expiry recomputed). The second save sends nothing when the commit already
 * carried the request's access; a request that only read the session still sends its access time, batched.
 */
class RequestEndSaveTest {

    static final class CountingStore extends SessionGridDataStore {
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        CountingStore(StoreSettings settings, SessionManager manager) {
            super(settings, manager);
        }

        int calls(String method) {
            AtomicInteger n = calls.get(method);
            return n == null ? 0 : n.get();
        }

        @Override
        SessionStore storeOf(SessionStore real) {
            return (SessionStore) Proxy.newProxyInstance(SessionStore.class.getClassLoader(),
                    new Class<?>[] {SessionStore.class}, (proxy, method, args) -> {
                        calls.computeIfAbsent(method.getName(), m -> new AtomicInteger()).incrementAndGet();
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    private Server server;
    private CountingStore store;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private void start() throws Exception {
        server = new Server();
        DefaultSessionIdManager ids = new DefaultSessionIdManager(server);
        ids.setWorkerName("n1");
        server.addBean(ids, true);
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", "request-end-" + UUID.randomUUID());
        settings.set("stack", "test-loopback");
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        cache.setFlushOnResponseCommit(true);
        store = new CountingStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
    }

    /** What Jetty does to a session's data when a request arrives for it at {@code time}. */
    private static void access(SessionData data, long time) {
        data.setLastAccessed(data.getAccessed());
        data.setAccessed(time);
        data.calcAndSetExpiry(time);
    }

    @Test
    void theSaveAtARequestsEndSendsNothingWhenItsCommitCarriedTheAccess() throws Exception {
        start();
        long now = System.currentTimeMillis();
        SessionData data = store.newSessionData("s1", now, now, now, 1_800_000);
        data.setLastNode("n1");
        data.setAttribute("n", 1);
        store.store("s1", data);
        SessionRecord created = store.grid().store(store.namespace()).find("s1", null);

        // A request that changes the session: saved at its commit, saved again as it leaves.
        access(data, created.meta().lastAccessedTime());
        data.setAttribute("n", 2);
        store.store("s1", data);
        assertEquals(1, store.calls("commit"));
        data.calcAndSetExpiry(data.getAccessed() + 5); // Jetty's release, a few ms later
        store.store("s1", data);
        assertEquals(1, store.calls("commit"), "nothing changed since the commit");
        assertEquals(0, store.calls("touch"), "the commit carried this request's access time");

        // A request that only reads the session: its access time travels, batched.
        SessionRecord committed = store.grid().store(store.namespace()).find("s1", null);
        access(data, committed.meta().lastAccessedTime() + 1_000);
        store.store("s1", data);
        assertEquals(1, store.calls("commit"));
        assertEquals(1, store.calls("touch"));
    }

    @Test
    void aByteArrayChangedInPlaceIsSavedAtTheRequestsEnd() throws Exception {
        start();
        long now = System.currentTimeMillis();
        SessionData data = store.newSessionData("s2", now, now, now, 1_800_000);
        data.setLastNode("n1");
        byte[] payload = new byte[1024];
        data.setAttribute("payload", payload);
        store.store("s2", data);

        // A later request that sets nothing: the same array, unchanged, commits nothing at its end.
        access(data, data.getLastSaved() + 1);
        store.store("s2", data);
        assertEquals(0, store.calls("commit"), "an unchanged array");

        // The next one changes the array in place (Jetty sees no setAttribute, the session is not dirty).
        access(data, data.getLastSaved() + 1);
        payload[1023] = 7;
        store.store("s2", data);
        assertEquals(1, store.calls("commit"), "an array changed in place");
        SessionRecord saved = store.grid().store(store.namespace()).find("s2", null);
        byte[] stored = saved.attributes().get("payload").value();
        assertEquals(7, stored[stored.length - 1], "the stored bytes end with the changed byte");
    }
}
