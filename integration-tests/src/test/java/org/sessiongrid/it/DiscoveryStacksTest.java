package org.sessiongrid.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.sessiongrid.it.node.StackMemberProcess;
import org.sessiongrid.it.rig.Cmd;
import org.sessiongrid.it.rig.NetRig;
import org.sessiongrid.jgroups.StackLoader;

/**
 * The shipped stacks that find their members without a host list, on a farm's layout (a rig namespace
 * per member, all on the same port): {@code kubernetes} through DNS, as a headless Service answers,
 * and {@code udp} through IP multicast across the rig's bridge. Each member knows nothing of the
 * others but the DNS name or the multicast group, so a view of all members proves the discovery.
 */
@Tag("short")
class DiscoveryStacksTest {

    private static final int SIZE = 3;
    private static final int PORT = 7800;
    private static final long FORMATION_DEADLINE_MILLIS = 30_000;
    /** The name a headless Service gives the grid's pods. */
    private static final String SERVICE = "sessions-grid.shop.svc.cluster.local";

    @BeforeAll
    static void rigAllowed() {
        Assumptions.assumeFalse(Boolean.getBoolean("faults.skip"), "fault tests skipped (-Dfaults.skip=true)");
    }

    /**
     * dnsmasq on the bridge answers the Service name with one A record per member; each namespace's
     * resolver points there ({@code /etc/netns/<ns>/resolv.conf}, which {@code ip netns exec} mounts).
     */
    @Test
    void kubernetesStackFormsTheGridFromTheServicesARecords() throws Exception {
        Path dnsmasq = Path.of("/usr/sbin/dnsmasq");
        if (!Files.isExecutable(dnsmasq)) {
            throw new IllegalStateException("this test needs dnsmasq (apt-get install -y dnsmasq-base; .ci/run installs it)");
        }
        Path work = Files.createDirectories(Path.of(System.getProperty("faults.work", "target/fault-work"), "dns"));
        Path hosts = work.resolve("service.hosts");
        StringBuilder records = new StringBuilder();
        for (int slot = 1; slot <= SIZE; slot++) {
            records.append(NetRig.address(slot)).append(' ').append(SERVICE).append('\n');
        }
        Files.writeString(hosts, records);
        try (NetRig rig = NetRig.create(SIZE)) {
            List<Path> resolvConfs = new ArrayList<>();
            Process dns = new ProcessBuilder(dnsmasq.toString(), "--keep-in-foreground", "--no-resolv", "--no-hosts",
                    "--bind-interfaces", "--listen-address=" + NetRig.CLIENT_ADDRESS, "--port=53", "--pid-file=",
                    "--addn-hosts=" + hosts, "--log-facility=-").redirectErrorStream(true)
                    .redirectOutput(work.resolve("dnsmasq.log").toFile()).start();
            try {
                for (int slot = 1; slot <= SIZE; slot++) {
                    Path conf = Path.of("/etc/netns", NetRig.ns(slot), "resolv.conf");
                    Files.createDirectories(conf.getParent());
                    Files.writeString(conf, "nameserver " + NetRig.CLIENT_ADDRESS + "\n");
                    resolvConfs.add(conf);
                }
                awaitAnswers(dns, work);
                formsOneView(StackLoader.STACK_KUBERNETES, slot -> List.of(
                        StackLoader.BIND_ADDRESS + "=" + NetRig.address(slot),
                        StackLoader.BIND_PORT + "=" + PORT,
                        StackLoader.DNS_QUERY + "=" + SERVICE));
            } finally {
                dns.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                for (Path conf : resolvConfs) {
                    Files.deleteIfExists(conf);
                    Files.deleteIfExists(conf.getParent());
                }
            }
        }
    }

    /** The members' multicast crosses the rig's bridge (snooping off, a multicast route in each namespace). */
    @Test
    void udpStackFormsTheGridByMulticast() throws Exception {
        try (NetRig rig = NetRig.create(SIZE)) {
            Cmd.check("ip", "link", "set", NetRig.BRIDGE, "type", "bridge", "mcast_snooping", "0");
            for (int slot = 1; slot <= SIZE; slot++) {
                Cmd.check("ip", "-n", NetRig.ns(slot), "route", "add", "224.0.0.0/4", "dev",
                        NetRig.PREFIX + "n" + slot + "p");
            }
            formsOneView(StackLoader.STACK_UDP, slot -> List.of(
                    StackLoader.BIND_ADDRESS + "=" + NetRig.address(slot),
                    StackLoader.BIND_PORT + "=" + PORT,
                    StackLoader.MCAST_ADDRESS + "=239.77.77.77"));
        }
    }

    /** Starts one member per slot and waits until each sees all of them. */
    private static void formsOneView(String stack, java.util.function.IntFunction<List<String>> properties)
            throws Exception {
        List<StackMemberProcess> members = new ArrayList<>();
        try {
            for (int slot = 1; slot <= SIZE; slot++) {
                members.add(new StackMemberProcess(slot, stack, "m" + slot, properties.apply(slot)));
            }
            for (StackMemberProcess m : members) {
                m.await("a view of " + SIZE + " on the " + stack + " stack", FORMATION_DEADLINE_MILLIS,
                        s -> s.view() == SIZE);
            }
        } finally {
            for (StackMemberProcess m : members) {
                m.stop();
            }
        }
    }

    /** Waits until dnsmasq answers the Service name from a member's namespace, so a failure is named. */
    private static void awaitAnswers(Process dns, Path work) throws InterruptedException, IOException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String last = "";
        while (System.nanoTime() < end) {
            if (!dns.isAlive()) {
                throw new IllegalStateException("dnsmasq exited: " + Files.readString(work.resolve("dnsmasq.log")));
            }
            Cmd.Result r = Cmd.run("ip", "netns", "exec", NetRig.ns(1), "getent", "ahostsv4", SERVICE);
            last = r.output();
            if (r.ok() && last.contains(NetRig.address(SIZE))) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("dnsmasq did not answer " + SERVICE + " within 10 s: " + last
                + Files.readString(work.resolve("dnsmasq.log")));
    }
}
