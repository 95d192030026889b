package org.sessiongrid.jetty.store;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Map;
import java.util.UUID;

import org.eclipse.jetty.session.AbstractSessionDataStoreTest;
import org.eclipse.jetty.session.SessionData;
import org.eclipse.jetty.session.SessionDataStore;
import org.eclipse.jetty.session.SessionDataStoreFactory;
import org.eclipse.jetty.session.UnreadableSessionDataException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionExistsException;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.mapping.AttributeSerializer;
import org.sessiongrid.jetty.mapping.JettyMetadata;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * Jetty's own {@code SessionDataStore} contract suite (the published {@code AbstractSessionDataStoreTest})
 * run against {@link SessionGridDataStore}. The suite stops and starts the server between writing and
 * reading, so a second grid member ("backing") stays in the cluster for the whole class: the store's
 * member leaves and joins again, and the data must survive on the backing member.
 *
 * <p>The helpers write and read grid records directly through the backing member, in the record
 * format a store on another node writes.
 */
public class SessionGridDataStoreContractTest extends AbstractSessionDataStoreTest {

    /**
     * A cluster per test: Jetty's suite reuses session ids across tests and expects an empty store
     * in each (its JDBC and file stores start from a fresh directory), and a cluster-wide listing
     * would otherwise find the previous tests' sessions.
     */
    private final String CLUSTER = "jetty-contract-" + UUID.randomUUID();
    private SessionGrid backing;

    public SessionGridDataStoreContractTest() throws Exception {
        super();
    }

    @BeforeEach
    void startBackingMember() {
        backing = SessionGrid.start(GridConfig.builder(CLUSTER).stack("test-loopback").nodeName("backing").build());
    }

    @AfterEach
    void stopBackingMember() {
        if (backing != null) {
            backing.close();
        }
    }

    @Override
    public SessionDataStoreFactory createSessionDataStoreFactory() {
        SessionGridDataStoreFactory factory = new SessionGridDataStoreFactory();
        factory.setClusterName(CLUSTER);
        factory.setStack("test-loopback");
        return factory;
    }

    private SessionStore storeOf(SessionData data) {
        return backing.store(data.getVhost() + "/" + data.getContextPath());
    }

    private static int gridMaxInactive(long maxInactiveMs) {
        return maxInactiveMs <= 0 ? 0 : (int) ((maxInactiveMs + 999) / 1000 + GRACE_PERIOD_SEC);
    }

    @Override
    public void persistSession(SessionData data) throws Exception {
        ClassLoader old = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(_contextClassLoader);
        try {
            AttributeSerializer serializer = new AttributeSerializer(null);
            SessionDelta.Builder b = delta(data);
            for (Map.Entry<String, Object> e : data.getAllAttributes().entrySet()) {
                b.set(e.getKey(), serializer.encode(e.getKey(), e.getValue()));
            }
            write(data, b);
        } finally {
            Thread.currentThread().setContextClassLoader(old);
        }
    }

    @Override
    public void persistUnreadableSession(SessionData data) throws Exception {
        SessionDelta.Builder b = delta(data);
        b.set("unreadable", new byte[] {(byte) 0xac, (byte) 0xed, 0, 5, 42, 42, 42});
        write(data, b);
    }

    private static SessionDelta.Builder delta(SessionData data) {
        long now = System.currentTimeMillis();
        return SessionDelta.builder().creationTime(data.getCreated()).lastAccessedTime(now)
                .maxInactiveInterval(gridMaxInactive(data.getMaxInactiveMs()))
                .containerData(JettyMetadata.of(data, now).encode());
    }

    private void write(SessionData data, SessionDelta.Builder b) {
        SessionStore store = storeOf(data);
        try {
            store.create(data.getId(), b.build());
        } catch (SessionExistsException e) {
            store.commit(data.getId(), b.build(), store.find(data.getId(), null));
        }
    }

    @Override
    public boolean checkSessionExists(SessionData data) {
        return storeOf(data).find(data.getId(), null) != null;
    }

    @Override
    public boolean checkSessionPersisted(SessionData data) throws Exception {
        SessionRecord r = storeOf(data).find(data.getId(), null);
        if (r == null) {
            return false;
        }
        ClassLoader old = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(_contextClassLoader);
        try {
            JettyMetadata md = JettyMetadata.decode(r.meta().containerData());
            assertEquals(data.getCreated(), r.meta().creationTime());
            assertEquals(data.getAccessed(), md.accessed());
            assertEquals(data.getLastAccessed(), md.lastAccessed());
            assertEquals(data.getMaxInactiveMs(), md.maxInactiveMs());
            assertEquals(data.getExpiry(), md.expiry());
            assertEquals(data.getCookieSet(), md.cookieSet());
            assertEquals(data.getLastNode(), md.lastNode());
            assertEquals(data.getKeys(), r.attributes().keySet());
            AttributeSerializer serializer = new AttributeSerializer(null);
            for (String name : data.getKeys()) {
                Object stored = serializer.decode(name, r.attribute(name));
                assertEquals(data.getAttribute(name), stored, "attribute " + name);
            }
            return true;
        } finally {
            Thread.currentThread().setContextClassLoader(old);
        }
    }

    /** Named like a known deserialization gadget, harmless: the grid's deny list must refuse it by name. */
    private static final String GADGET = "org.apache.commons.collections.functors.InvokerTransformer";

    @Test
    public void gadgetClassInAnAttributeIsRefusedNamingTheClassAndTheSetting() throws Exception {
        // Compiled into the webapp's class directory, so that the class resolves and only the
        // deserialization policy can stop it.
        Path src = Files.createTempDirectory("gadget-src");
        Path file = src.resolve(GADGET.replace('.', '/') + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "package org.apache.commons.collections.functors;\n"
                + "public class InvokerTransformer implements java.io.Serializable {\n"
                + "    private static final long serialVersionUID = 1L;\n"
                + "}\n");
        int rc = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d",
                extraClasses.getAbsolutePath(), file.toString());
        assertEquals(0, rc, "javac of the gadget look-alike failed");

        setUp();
        _server.start();
        SessionDataStore store = _sessionManager.getSessionCache().getSessionDataStore();
        long now = System.currentTimeMillis();
        SessionData data = store.newSessionData("gadget1", 100, now, now - 1, -1);
        data.setLastNode(_sessionIdManager.getWorkerName());
        data.setAttribute("payload", _contextClassLoader.loadClass(GADGET).getConstructor().newInstance());
        persistSession(data);

        UnreadableSessionDataException e = assertThrows(UnreadableSessionDataException.class,
                () -> store.load("gadget1"));
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertThat(messages.toString(), containsString(GADGET));
        assertThat(messages.toString(), containsString("deserializationFilter"));
        assertThat(messages.toString(), containsString("'payload'"));
    }
}
