package org.sessiongrid.boot.farm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.sessiongrid.testsupport.files.WorkDirs;
import org.sessiongrid.testsupport.net.FreePorts;
import org.sessiongrid.testsupport.node.NodeSlot;
import org.sessiongrid.testsupport.process.ChildProcess;
import org.sessiongrid.testsupport.process.JavaCommand;
import org.sessiongrid.testsupport.process.Reaper;

/**
 * Spring Boot applications in child JVMs on 127.0.0.1, each the sample application with the starter,
 * forming one SessionGrid cluster over the {@code tcp} stack; configured only through Boot properties
 * on their command lines. Launched and reaped by test-support's launcher: every process is stopped by
 * its PID when the farm is closed (and by a shutdown hook if the test JVM dies first).
 */
public final class BootFarm implements AutoCloseable {

    /** The embedded container a farm's nodes run: the other one is left off their class path. */
    public enum Container {
        TOMCAT(List.of("/org/eclipse/jetty/", "/spring-boot-jetty-", "/spring-boot-starter-jetty")),
        JETTY(List.of("/tomcat-embed-core-", "/tomcat-embed-websocket-", "/spring-boot-tomcat-",
                "/spring-boot-starter-tomcat"));

        private final List<String> leftOut;

        Container(List<String> leftOut) {
            this.leftOut = leftOut;
        }

        String classPath(String full) {
            List<String> kept = new ArrayList<>();
            for (String entry : full.split(File.pathSeparator)) {
                String unix = entry.replace(File.separatorChar, '/');
                if (leftOut.stream().noneMatch(unix::contains)) {
                    kept.add(entry);
                }
            }
            return String.join(File.pathSeparator, kept);
        }
    }

    private static final Pattern TOPOLOGY = Pattern.compile("\"topologyId\":(\\d+)");
    private static final Pattern MEMBERS = Pattern.compile("\"members\":\\[([^\\]]*)\\]");

    /** One node: its slot (name, ports, log) and its process. */
    public final class Node {
        public final String name;
        final NodeSlot slot;
        ChildProcess process;

        Node(NodeSlot slot) {
            this.slot = slot;
            this.name = slot.name();
        }

        public String url(String path) {
            return slot.url(path);
        }

        public boolean alive() {
            return process != null && process.isAlive();
        }

        /** kill -9 of this node's process. */
        public void kill() throws InterruptedException {
            process.kill();
        }

        public String log() {
            try {
                return Files.exists(slot.log()) ? Files.readString(slot.log()) : "";
            } catch (IOException e) {
                return "";
            }
        }
    }

    public final List<Node> nodes = new ArrayList<>();
    private final Container container;
    private final Reaper reaper = new Reaper("boot-farm-reaper");

    private BootFarm(Container container) {
        this.container = container;
    }

    /**
     * Starts {@code size} nodes named n1..nN on {@code container}, waits until each answers
     * {@code /actuator/health} and all show one settled topology of {@code size} members.
     */
    public static BootFarm start(Container container, String cluster, int size) throws Exception {
        Path work = Path.of(System.getProperty("sessiongrid.test.work"), cluster);
        WorkDirs.fresh(work);
        BootFarm farm = new BootFarm(container);
        try {
            FreePorts ports = new FreePorts();
            for (int i = 1; i <= size; i++) {
                farm.nodes.add(farm.new Node(NodeSlot.of("n" + i, ports, work)));
            }
            String hosts = NodeSlot.initialHosts(farm.nodes.stream().map(n -> n.slot).toList());
            for (Node n : farm.nodes) {
                farm.launch(n, cluster, hosts);
            }
            farm.awaitSettled(size, 120);
            return farm;
        } catch (Exception | Error e) {
            farm.close();
            throw e;
        }
    }

    private void launch(Node n, String cluster, String hosts) throws IOException {
        String cp = JavaCommand.classpath(List.of(System.getProperty("sessiongrid.test.testClasses"),
                System.getProperty("sessiongrid.test.classes"), container.classPath(
                        Files.readString(Path.of(System.getProperty("sessiongrid.test.classpathFile"))).trim())));
        JavaCommand cmd = JavaCommand.of("org.sessiongrid.boot.sample.SampleApplication")
                .options("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                        "-Djava.net.preferIPv4Stack=true")
                .classpath(cp)
                .args("--server.address=127.0.0.1", "--server.port=" + n.slot.httpPort(),
                        "--spring.main.banner-mode=off",
                        "--management.endpoints.web.exposure.include=health,info,metrics,prometheus",
                        "--management.endpoint.health.show-details=always",
                        "--logging.level.org.sessiongrid=INFO",
                        "--sessiongrid.cluster-name=" + cluster, "--sessiongrid.node-name=" + n.name,
                        "--sessiongrid.stack=tcp", "--sessiongrid.bind-address=127.0.0.1",
                        "--sessiongrid.bind-port=" + n.slot.gridPort(), "--sessiongrid.port-range=0",
                        "--sessiongrid.initial-hosts=" + hosts);
        n.process = reaper.track(ChildProcess.start(n.name, cmd.toList(), n.slot.log()));
    }

    /**
     * Waits until every live node's health shows the same topology id, {@code members} members and no
     * rebalance running.
     */
    public void awaitSettled(int members, int seconds) throws Exception {
        Browser probe = new Browser();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            Set<String> topologies = new HashSet<>();
            boolean settled = true;
            StringBuilder seen = new StringBuilder();
            for (Node n : alive()) {
                String body;
                try {
                    body = probe.get(n.url("/actuator/health/sessiongrid")).body();
                } catch (IOException e) {
                    body = "not answering: " + e;
                }
                seen.append(n.name).append(": ").append(body).append("; ");
                Matcher t = TOPOLOGY.matcher(body);
                String topology = t.find() ? t.group(1) : null;
                Matcher m = MEMBERS.matcher(body);
                int count = !m.find() ? 0 : m.group(1).isBlank() ? 0 : m.group(1).split(",").length;
                settled &= body.contains("\"status\":\"UP\"") && body.contains("\"stable\":true") && topology != null
                        && count == members;
                topologies.add(String.valueOf(topology));
            }
            last = seen.toString();
            if (settled && topologies.size() == 1) {
                return;
            }
            for (Node n : nodes) {
                if (n.process != null && !n.process.isAlive() && n.process.process().exitValue() != 137) {
                    throw new AssertionError(n.name + " exited with " + n.process.process().exitValue() + ":\n"
                            + tail(n.log()));
                }
            }
            Thread.sleep(200);
        }
        StringBuilder logs = new StringBuilder();
        for (Node n : nodes) {
            logs.append("\n--- ").append(n.name).append(" ---\n").append(tail(n.log()));
        }
        throw new AssertionError("farm not settled on " + members + " members within " + seconds + " s: " + last + logs);
    }

    public List<Node> alive() {
        return nodes.stream().filter(Node::alive).toList();
    }

    @Override
    public void close() {
        reaper.close();
    }

    static String tail(String s) {
        return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
    }
}
