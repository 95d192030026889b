package org.sessiongrid.jetty.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.DefaultSessionIdManager;
import org.eclipse.jetty.session.SessionData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.config.StoreSettings;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A sticky write as the farm benchmark's {@code /inc?pad=1024} makes it, on three members in one JVM over the
 * in-memory {@code test-loopback} stack, the store's member the session's primary:
 * <ul>
 * <li>{@link #jettySave}: what the Jetty adapter does per request: Jetty's access, the counter and a new 1 KiB
 * payload set, Jetty's save at the response's commit and its save when the request leaves the session;</li>
 * <li>{@link #coreCommit}: the floor under any adapter, the same two attributes encoded by core's
 * {@link AttributeCodec} and committed with the access time, which is what the Tomcat adapter sends.</li>
 * </ul>
 * The difference is what the Jetty adapter adds. Average time per operation, one thread; run with
 * {@code -prof gc} for the bytes allocated per operation (all members together), the figure that holds on a
 * loaded machine.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class StickyWriteBenchmark {

    private static final int PAYLOAD_BYTES = 1024;

    private Server server;
    private SessionGridDataStore store;
    private final List<SessionGrid> others = new ArrayList<>();
    private SessionStore sessions;
    private final AttributeCodec codec = new AttributeCodec(DeserializationPolicy.parse(null));
    private byte[] payload;

    private String jettyId;
    private SessionData data;
    private int jettyCounter;

    private String coreId;
    private SessionRecord coreBase;
    private int coreCounter;

    @Setup(Level.Trial)
    public void start() throws Exception {
        String cluster = "sticky-write-bench-" + UUID.randomUUID();
        server = new Server();
        DefaultSessionIdManager ids = new DefaultSessionIdManager(server);
        ids.setWorkerName("n1");
        server.addBean(ids, true);
        ServletContextHandler ctx = new ServletContextHandler("/app", ServletContextHandler.SESSIONS);
        StoreSettings settings = new StoreSettings();
        settings.set("clusterName", cluster);
        settings.set("stack", "test-loopback");
        SessionGridSessionCache cache = new SessionGridSessionCache(ctx.getSessionHandler());
        store = new SessionGridDataStore(settings, ctx.getSessionHandler());
        cache.setSessionDataStore(store);
        ctx.getSessionHandler().setSessionCache(cache);
        server.setHandler(new SessionGridRequestHandler(ctx));
        server.start();
        for (String node : List.of("n2", "n3")) {
            others.add(SessionGrid.start(GridConfig.builder(cluster).stack("test-loopback").nodeName(node).build()));
        }
        awaitThreeMembers();
        sessions = store.grid().store(store.namespace());

        payload = new byte[PAYLOAD_BYTES];
        new Random(44).nextBytes(payload);
        long now = System.currentTimeMillis();
        jettyId = localId();
        data = store.newSessionData(jettyId, now, now, now, 1_800_000);
        data.setLastNode("n1");
        data.setAttribute("counter", 1);
        data.setAttribute("payload", nextPayload(1));
        store.store(jettyId, data);

        coreId = localId();
        coreBase = sessions.create(coreId, SessionDelta.builder().maxInactiveInterval(1800)
                .set("counter", codec.encode("counter", 1)).set("payload", codec.encode("payload", nextPayload(1)))
                .build());
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        others.forEach(SessionGrid::halt);
        server.stop();
    }

    /** An id whose primary is the store's member, with both other members its backups. */
    private String localId() {
        String id = sessions.newLocalId(() -> UUID.randomUUID().toString().replace("-", ""));
        if (!sessions.isLocalPrimary(id) || sessions.owners(id).backups().size() != 2) {
            throw new IllegalStateException("session " + id + " is not primary here with 2 backups: "
                    + sessions.owners(id));
        }
        return id;
    }

    private void awaitThreeMembers() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(store.grid().members().size() == 3 && store.grid().isStable()
                && others.stream().allMatch(g -> g.isStable() && g.topologyId() == store.grid().topologyId()))) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the benchmark cluster did not settle within 60 s");
            }
            Thread.sleep(10); // polling the members' state, bounded by the deadline
        }
    }

    /** A new payload each request, as the farm's servlet sets one; one byte differs from the last. */
    private byte[] nextPayload(int n) {
        byte[] p = payload.clone();
        p[0] = (byte) n;
        return p;
    }

    /** One request of a sticky user behind Jetty: access, two attributes set, the two saves Jetty makes. */
    @Benchmark
    public SessionData jettySave() throws Exception {
        long now = System.currentTimeMillis();
        data.setLastAccessed(data.getAccessed());
        data.setAccessed(now);
        data.calcAndSetExpiry(now);
        int n = ++jettyCounter;
        data.setAttribute("counter", n);
        data.setAttribute("payload", nextPayload(n));
        store.store(jettyId, data); // at the response's commit
        data.calcAndSetExpiry(now);
        store.store(jettyId, data); // when the request leaves the session
        return data;
    }

    /** The same change committed by core directly: what any adapter must pay. */
    @Benchmark
    public SessionRecord coreCommit() {
        int n = ++coreCounter;
        SessionDelta delta = SessionDelta.builder().set("counter", codec.encode("counter", n))
                .set("payload", codec.encode("payload", nextPayload(n)))
                .lastAccessedTime(System.currentTimeMillis()).build();
        coreBase = sessions.commit(coreId, delta, coreBase);
        return coreBase;
    }
}
