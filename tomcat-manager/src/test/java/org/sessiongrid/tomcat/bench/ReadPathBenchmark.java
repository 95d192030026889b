package org.sessiongrid.tomcat.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.metrics.MessageCounts;
import org.sessiongrid.tomcat.SessionGridManager;

/**
 * A sticky read-only request on the session's primary (the benchmarks' scenario (b) without its writes): an
 * embedded Tomcat 11 with the manager, jvmRoute {@code tomcat}, and two more grid members in the same JVM (3
 * copies of each session, {@code test-loopback} stack), against Tomcat's {@code StandardManager} in the same
 * set-up without the grid. Each operation is one keep-alive HTTP/1.1 request from a client on a plain socket,
 * which allocates nothing per request: with {@code -prof gc} the allocation per operation is the whole JVM's
 * (the request thread, Tomcat's poller, the grid's threads) per read request, which the machine's load does
 * not blur as it does the time. With {@code -p path=/app/inc} each operation is the sticky write (scenario (a))
 * instead. After each iteration the grid messages all three members sent per request are
 * printed by type.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Djava.net.preferIPv4Stack=true", "-Xmx512m"})
public class ReadPathBenchmark {

    /** {@code sessiongrid} or {@code standard}. */
    @Param({"sessiongrid", "standard"})
    public String manager;

    /**
     * The request each operation sends: {@code /app/get} reads the counter; {@code -p path=/app/inc} makes it the
     * sticky write instead (the counter and a 1 KiB random payload replaced, committed and replicated to both backups).
     */
    @Param({"/app/get"})
    public String path;

    private Tomcat tomcat;
    private final List<SessionGrid> peers = new ArrayList<>();
    private SessionGridManager gridManager;
    private RawHttpClient client;
    private long requests;
    private long messagesBefore;

    @Setup(Level.Trial)
    public void start() throws Exception {
        File base = Files.createTempDirectory("read-path-bench").toFile();
        String cluster = "read-path-" + ProcessHandle.current().pid();
        if (manager.equals("sessiongrid")) {
            for (String name : List.of("peer1", "peer2")) {
                peers.add(SessionGrid.start(GridConfig.builder(cluster).stack("test-loopback").nodeName(name).build()));
            }
        }
        tomcat = new Tomcat();
        tomcat.setBaseDir(new File(base, "tomcat").getAbsolutePath());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        // One connection for the whole run (Tomcat closes it after 100 requests by default).
        tomcat.getConnector().setProperty("maxKeepAliveRequests", "-1");
        tomcat.getEngine().setJvmRoute("tomcat");
        File docBase = new File(base, "app");
        docBase.mkdirs();
        Context ctx = tomcat.addContext("/app", docBase.getAbsolutePath());
        ctx.setSessionTimeout(30);
        if (manager.equals("sessiongrid")) {
            gridManager = new SessionGridManager();
            gridManager.setClusterName(cluster);
            gridManager.setStack("test-loopback");
            ctx.setManager(gridManager);
        } else {
            org.apache.catalina.session.StandardManager m = new org.apache.catalina.session.StandardManager();
            m.setPathname(null);
            ctx.setManager(m);
        }
        Tomcat.addServlet(ctx, "counter", new CounterServlet());
        ctx.addServletMappingDecoded("/*", "counter");
        tomcat.start();
        if (gridManager != null) {
            // The session is created on a segment this member is primary of; wait until no rebalance moves it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(gridManager.isTopologyStable() && gridManager.getGrid().members().size() == 3)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the 3 members did not settle: " + gridManager.getGrid().members());
                }
                Thread.sleep(50);
            }
        }
        client = new RawHttpClient("127.0.0.1", tomcat.getConnector().getLocalPort());
        String cookie = client.startSession("/app/inc");
        client.prepare(path, cookie);
    }

    @Setup(Level.Iteration)
    public void countFrom() {
        requests = 0;
        messagesBefore = messagesSent();
    }

    @TearDown(Level.Iteration)
    public void report() {
        if (gridManager != null && requests > 0) {
            long sent = messagesSent() - messagesBefore;
            System.out.printf("%n[grid messages] %d sent by the 3 members over %d requests: %.5f per request%n",
                    sent, requests, (double) sent / requests);
        }
    }

    private long messagesSent() {
        long sum = 0;
        if (gridManager != null) {
            sum += gridManager.getGrid().stats().messagesSent().messages();
            for (SessionGrid p : peers) {
                MessageCounts c = p.stats().messagesSent();
                sum += c.messages();
            }
        }
        return sum;
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        if (gridManager != null) {
            System.out.println("[grid messages by type, tomcat member] " + gridManager.getGrid().stats().messagesSentByType());
        }
        client.close();
        tomcat.stop();
        tomcat.destroy();
        for (SessionGrid p : peers) {
            p.halt();
        }
    }

    /** One sticky read-only request: the counter of the session, which this node is primary of. */
    @Benchmark
    public int read() throws IOException {
        requests++;
        return client.request();
    }

    /**
     * The same request after this node dropped the session's decoded copy, as {@code copyIdleTimeout} does for an idle
     * session: the request decodes a new copy from the local record (the counter and the 1 KiB payload). Against
     * {@link #read}, its allocation is what a sticky request after the idle time costs. With StandardManager it is
     * {@link #read}.
     */
    @Benchmark
    public int readAfterIdleDrop() throws IOException {
        if (gridManager != null) {
            for (org.apache.catalina.Session s : gridManager.findSessions()) {
                gridManager.remove(s);
            }
        }
        requests++;
        return client.request();
    }
}
