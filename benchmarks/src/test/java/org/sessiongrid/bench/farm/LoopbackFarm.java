package org.sessiongrid.bench.farm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.JitCpu;
import org.sessiongrid.bench.measure.ThreadCpu;
import org.sessiongrid.it.load.LoadClient;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes of one contender as child JVMs on loopback: node i listens on {@code <subnet>.i} (HTTP 8080,
 * JGroups 7800, Tribes 4000, Hazelcast 5701), so every node has the same ports and a run never touches an
 * address outside 127.0.0.0/8. The subnet is chosen per run so that two runs on one machine do not collide.
 */
public final class LoopbackFarm implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackFarm.class);
    static final int HTTP_PORT = 8080;
    static final int GRID_PORT = 7800;
    static final int TRIBES_PORT = 4000;
    static final int HAZELCAST_PORT = 5701;
    /**
     * What Hazelcast's documentation asks of a member on Java 9 and later (else it warns at start and falls
     * back to slower paths for its metrics and off-heap access).
     */
    static final List<String> HAZELCAST_JVM_ARGS = List.of("--add-modules", "java.se",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.management/sun.management=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

    /** One running node. */
    public record Node(String name, String address, ChildProcess process) {
        public String baseUrl() {
            return "http://" + address + ":" + HTTP_PORT + "/app";
        }

        public String statusUrl(boolean sessionGrid) {
            return sessionGrid ? baseUrl() + "/status" : "http://" + address + ":" + HTTP_PORT + "/bench/status";
        }

        public LoadClient.Target target() {
            return new LoadClient.Target(name, baseUrl());
        }
    }

    private final Contender contender;
    private final int maxNodes;
    private final Path work;
    private final String subnet;
    private final String redissonConfig;
    private final String jvmHeap;
    private final List<String> jvmArgs;
    private final List<Node> nodes = new ArrayList<>();
    private final String cluster;
    private final int id = FARMS.incrementAndGet();
    private static final java.util.concurrent.atomic.AtomicInteger FARMS = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * @param subnet the first three octets, e.g. {@code 127.8.17}
     * @param maxNodes the slots the farm may use (all are in the SessionGrid/Tribes member lists from the start,
     *        so a node added later is found)
     * @param redissonConfig the Redisson YAML (the Redisson contender only)
     * @param jvmHeap the nodes' -Xmx value
     * @param jvmArgs further flags of every node ({@code BenchSettings.nodeJvmArgs})
     */
    public LoopbackFarm(Contender contender, int maxNodes, Path work, String subnet, String redissonConfig,
                        String jvmHeap, List<String> jvmArgs) {
        this.contender = contender;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.maxNodes = maxNodes;
        this.work = work;
        this.subnet = subnet;
        this.redissonConfig = redissonConfig;
        this.jvmHeap = jvmHeap;
        this.cluster = "bench-" + contender.name().toLowerCase() + "-" + ProcessHandle.current().pid();
    }

    public Contender contender() {
        return contender;
    }

    /** CPU time, in nanoseconds, that the farm's live node processes have used so far (-1 if unknown). */
    public long cpuNanos() {
        return sumOverNodes(LoopbackFarm::cpuNanos);
    }

    /** CPU time the nodes' JIT compiler threads have used so far ({@link JitCpu}), or -1 if unreadable. */
    public long jitCpuNanos() {
        return sumOverNodes(JitCpu::nanos);
    }

    /**
     * A reading of the threads of every live node in one ({@link ThreadCpu}; thread ids are unique on the
     * machine), the nodes that could not be read left out.
     */
    public ThreadCpu threadCpu() {
        Map<Long, Long> cpu = new java.util.HashMap<>();
        Map<Long, String> names = new java.util.HashMap<>();
        for (Node n : live()) {
            ThreadCpu t = ThreadCpu.of(n.process().pid());
            if (t != null) {
                cpu.putAll(t.threads());
                names.putAll(t.names());
            }
        }
        return new ThreadCpu(cpu, names);
    }

    /** {@code perPid} summed over the nodes; -1 if a live node's could not be read (a dead node's counts 0). */
    private long sumOverNodes(LongUnaryOperator perPid) {
        long sum = 0;
        for (Node n : nodes) {
            long v = perPid.applyAsLong(n.process().pid());
            if (v < 0 && n.process().isAlive()) {
                return -1;
            }
            sum += Math.max(0, v);
        }
        return sum;
    }

    /** CPU time a process has used so far (its threads', as the kernel counts them), or -1. */
    public static long cpuNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(java.time.Duration::toNanos)
                .orElse(-1L);
    }

    public String address(int slot) {
        return subnet + "." + slot;
    }

    /** Starts nodes 1..n together and waits until each serves and the cluster has all n. */
    public void startAll(int n, long timeoutMillis) throws IOException, InterruptedException {
        // Tomcat's DeltaManager asks a running member for all sessions when it starts and waits up to its
        // stateTransferTimeout (60 s) for an answer that a member still starting never sends: its nodes start one
        // after the other, as a farm's do. The others start together.
        boolean oneByOne = contender == Contender.DELTA || contender == Contender.BACKUP;
        for (int slot = 1; slot <= n; slot++) {
            Node node = launch(slot);
            if (oneByOne) {
                node.process().awaitReady(Duration.ofMillis(timeoutMillis));
            }
        }
        for (Node node : List.copyOf(nodes)) {
            node.process().awaitReady(Duration.ofMillis(timeoutMillis));
        }
        awaitCluster(n, timeoutMillis);
    }

    /** Starts one more node in the next free slot and waits until it printed READY (not for the cluster). */
    public Node add(long timeoutMillis) throws IOException, InterruptedException {
        int slot = nodes.size() + 1;
        if (slot > maxNodes) {
            throw new IllegalStateException("the farm has room for " + maxNodes + " nodes");
        }
        Node node = launch(slot);
        node.process().awaitReady(Duration.ofMillis(timeoutMillis));
        return node;
    }

    private Node launch(int slot) throws IOException {
        String name = "node" + slot;
        String address = address(slot);
        String all = IntStream.rangeClosed(1, maxNodes).mapToObj(this::address).collect(Collectors.joining(","));
        String classPath = NodeJars.of(contender.container(), work);
        if (contender.hazelcast()) {
            classPath += java.io.File.pathSeparator + NodeJars.hazelcast(work);
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx" + jvmHeap, "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-Djava.net.preferIPv4Stack=true",
                "-cp", classPath,
                "-Dfault.node=" + name, "-Dfault.address=" + address, "-Dfault.httpPort=" + HTTP_PORT,
                "-Dfault.work=" + work.toAbsolutePath(),
                "-Dbench.address=" + address, "-Dbench.httpPort=" + HTTP_PORT, "-Dbench.work=" + work.toAbsolutePath(),
                "-Dbench.manager=" + contender.manager(), "-Dbench.members=" + all, "-Dbench.tribesPort=" + TRIBES_PORT,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.showDateTime=true"));
        cmd.addAll(jvmArgs);
        // Extra node JVM flags for investigations, e.g. -Dbench.nodeJvmArgs=-XX:StartFlightRecording=filename=
        // /tmp/{node}.jfr: {node} becomes the contender and node name, one file per node.
        String extra = System.getProperty("bench.nodeJvmArgs", "").trim();
        if (!extra.isEmpty()) {
            for (String a : extra.split("\\s+")) {
                cmd.add(a.replace("{node}", contender.name().toLowerCase() + "-" + name));
            }
        }
        if (redissonConfig != null) {
            cmd.add("-Dbench.redissonConfig=" + redissonConfig);
        }
        if (contender.hazelcast()) {
            cmd.addAll(HAZELCAST_JVM_ARGS);
            // Hazelcast logs through SLF4J, errors only: at warn it writes a block per connection it loses while
            // a farm stops. Its member events are one line each (HazelcastMember).
            cmd.addAll(List.of("-Dbench.hazelcastPort=" + HAZELCAST_PORT, "-Dbench.cluster=" + cluster,
                    "-Dbench.hazelcast.sticky=" + (contender == Contender.HAZELCAST_STICKY),
                    "-Dhazelcast.logging.type=slf4j", "-Dorg.slf4j.simpleLogger.log.com.hazelcast=error",
                    "-Dorg.slf4j.simpleLogger.log.org.sessiongrid.bench.contender.HazelcastMember=info"));
        }
        if (contender.isSessionGrid()) {
            // Everything else is SessionGrid's default: 3 owners, synchronous replication, 10 s failure detection.
            // -Dbench.stack names another stack (a shipped one or a file) for investigations.
            cmd.addAll(List.of("-Dsessiongrid.clusterName=" + cluster,
                    "-Dsessiongrid.stack=" + System.getProperty("bench.stack", "tcp"),
                    "-Dsessiongrid.nodeName=" + name, "-Dsessiongrid.bindAddress=" + address,
                    "-Dsessiongrid.bindPort=" + GRID_PORT, "-Dsessiongrid.portRange=0",
                    "-Dsessiongrid.initialHosts=" + IntStream.rangeClosed(1, maxNodes)
                            .mapToObj(i -> address(i) + "[" + GRID_PORT + "]").collect(Collectors.joining(","))));
            if (contender.sealed()) {
                cmd.add("-Dsessiongrid.clusterSecret=" + cluster + "-secret");
            }
        }
        cmd.add(contender.mainClass());
        Node node = new Node(name, address, ChildProcess.start(name, cmd,
                work.resolve("logs").resolve("farm" + id + "-" + contender.name().toLowerCase() + "-" + name + ".log")));
        nodes.add(node);
        return node;
    }

    /** Waits until every live node serves and (clustered contenders) sees {@code n} members, settled. */
    public void awaitCluster(int n, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        String last = "";
        while (true) {
            String why = notReady(n);
            if (why == null) {
                return;
            }
            last = why;
            for (Node node : nodes) {
                if (!node.process().isAlive() && !killed.contains(node.name())) {
                    throw new IllegalStateException(node.name() + " of " + contender + " died:\n" + node.process().tail());
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(contender + ": the cluster of " + n + " was not ready within "
                        + timeoutMillis + " ms: " + last);
            }
            Thread.sleep(100);
        }
    }

    private final List<String> killed = new ArrayList<>();

    /** Null when ready, else why not. */
    private String notReady(int n) throws InterruptedException {
        Long topology = null;
        for (Node node : live()) {
            Map<String, String> s = Http.status(node.statusUrl(contender.isSessionGrid()));
            if (s.isEmpty()) {
                return node.name() + " does not answer";
            }
            if (contender.isSessionGrid()) {
                int members = s.getOrDefault("Members", "").isEmpty() ? 0 : s.get("Members").split(",").length;
                if (members != n || !"false".equals(s.get("RebalanceInProgress"))) {
                    return node.name() + " sees " + members + " members, rebalancing " + s.get("RebalanceInProgress");
                }
                long t = Long.parseLong(s.getOrDefault("TopologyId", "0"));
                if (topology != null && topology != t) {
                    return "topologies differ";
                }
                topology = t;
            } else if (s.containsKey("members") && Integer.parseInt(s.get("members")) != n) {
                return node.name() + " sees " + s.get("members") + " members";
            } else if ("false".equals(s.get("clusterSafe"))) {
                return node.name() + ": backups not all in place yet";
            }
        }
        return null;
    }

    /** The nodes not killed. */
    public List<Node> live() {
        return nodes.stream().filter(n -> !killed.contains(n.name())).toList();
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** The load client's view: the live nodes. */
    public List<LoadClient.Target> targets() {
        return live().stream().map(Node::target).toList();
    }

    public void kill9(Node node) throws InterruptedException {
        killed.add(node.name());
        node.process().kill();
        LOG.info("killed {} of {} (pid {})", node.name(), contender, node.process().pid());
    }

    /** Stops every node it started (SIGTERM to all at once, SIGKILL to any still running 10 s later). */
    @Override
    public void close() throws InterruptedException {
        for (Node node : nodes) {
            node.process().process().destroy();
        }
        for (Node node : nodes) {
            node.process().stop(Duration.ofSeconds(10));
        }
    }
}
