package org.sessiongrid.it.rig;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The network of a fault test: one network namespace per node slot ({@code sgf-n1}, {@code sgf-n2}, ...),
 * each with a veth pair whose other end is enslaved to the bridge {@code sgf-br} in the root namespace.
 * Addresses come from the private subnet {@value #SUBNET}0/24, used only here: node i has
 * {@value #SUBNET}i, the bridge (where the load client in the root namespace speaks from) has
 * {@value #SUBNET}254. No namespace gets a default route, so nothing can leave this subnet; the host's own
 * interfaces are never touched.
 *
 * <p>Faults: {@link #partition} (DROP rules in the namespaces of both sides: packets vanish as on a cut
 * link, while the client's path to every node stays up so that both sides can be observed), {@link #lossy}
 * (iptables' {@code statistic} match on one node's link).
 *
 * <p>Cleanup: {@link #close} (and a JVM shutdown hook) kills, by PID, every process still inside our
 * namespaces, then deletes the namespaces and links. {@link #create} first removes what a crashed earlier
 * run left (anything named {@value #PREFIX}*). Only one rig runs per machine at a time: {@link #create} waits
 * for a machine-wide file lock ({@value #LOCK_FILE}), so a second fault run (another build on the same
 * machine) waits instead of deleting the first one's namespaces. The operating system releases the lock
 * when the JVM holding it dies.
 */
public final class NetRig implements AutoCloseable {

    public static final String PREFIX = "sgf-";
    public static final String SUBNET = "10.231.77.";
    public static final String BRIDGE = PREFIX + "br";
    public static final String CLIENT_ADDRESS = SUBNET + "254";
    static final String LOCK_FILE = "/tmp/sessiongrid-fault-rig.lock";

    private final List<Integer> slots = new ArrayList<>();
    private final Thread hook = new Thread(NetRig::removeAll, "net-rig-cleanup");
    private final FileLock machineLock;
    private volatile boolean closed;

    private NetRig(FileLock machineLock) {
        this.machineLock = machineLock;
    }

    /** Removes leftovers, creates the bridge and {@code size} node slots. */
    public static NetRig create(int size) {
        requireTools();
        NetRig rig = new NetRig(lockMachine());
        removeAll();
        Runtime.getRuntime().addShutdownHook(rig.hook);
        try {
            Cmd.check("ip", "link", "add", BRIDGE, "type", "bridge");
            Cmd.check("ip", "addr", "add", CLIENT_ADDRESS + "/24", "dev", BRIDGE);
            Cmd.check("ip", "link", "set", BRIDGE, "up");
            for (int i = 1; i <= size; i++) {
                rig.addSlot();
            }
            return rig;
        } catch (RuntimeException | Error e) {
            rig.close();
            throw e;
        }
    }

    /** Fails clearly when this machine cannot host the rig (no root, no ip, no netns support). */
    static void requireTools() {
        Cmd.Result r = Cmd.run("ip", "netns", "list");
        if (!r.ok()) {
            throw new IllegalStateException("the fault rig needs root and iproute2 (ip netns): " + r.output()
                    + "\nInstall with: apt-get install -y iproute2 iptables; or skip with -Dfaults.skip=true");
        }
    }

    /** Creates the next slot (namespace, veth, address) and returns its number. */
    public synchronized int addSlot() {
        int i = slots.size() + 1;
        String ns = ns(i);
        String host = PREFIX + "n" + i + "h";
        String peer = PREFIX + "n" + i + "p";
        Cmd.check("ip", "netns", "add", ns);
        slots.add(i);
        Cmd.check("ip", "link", "add", host, "type", "veth", "peer", "name", peer);
        Cmd.check("ip", "link", "set", peer, "netns", ns);
        Cmd.check("ip", "link", "set", host, "master", BRIDGE);
        Cmd.check("ip", "link", "set", host, "up");
        Cmd.check("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", peer);
        Cmd.check("ip", "-n", ns, "link", "set", peer, "up");
        Cmd.check("ip", "-n", ns, "link", "set", "lo", "up");
        capRetransmissionBackoff(ns);
        return i;
    }

    /**
     * Caps TCP's retransmission backoff in the slot's namespace ({@code net.ipv4.tcp_rto_max_ms}, Linux 6.15
     * and later, per namespace; -Dfaults.tcpRtoMaxMs, 0 keeps the kernel's 120 s). During a cut, connection
     * attempts and connections with data in flight back off exponentially, and after the heal they stay
     * silent until their next retransmission, tens of seconds after a 30 s cut: the merged view then reached
     * members up to 9 s apart, JGroups expelled a live member right after the merge, and views flapped for
     * minutes (partition fault, 30 s hold; with the cap the same run merged once). docs/operations.md
     * recommends the same setting for grid hosts.
     */
    private static void capRetransmissionBackoff(String ns) {
        long cap = Long.getLong("faults.tcpRtoMaxMs", 1000);
        if (cap <= 0 || !java.nio.file.Files.exists(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_rto_max_ms"))) {
            return;
        }
        Cmd.check("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.tcp_rto_max_ms=" + cap);
    }

    public static String ns(int slot) {
        return PREFIX + "n" + slot;
    }

    public static String address(int slot) {
        return SUBNET + slot;
    }

    static String nsLink(int slot) {
        return PREFIX + "n" + slot + "p";
    }

    /**
     * Cuts every path between the two sides (both directions, established connections included). The
     * load client (bridge address) still reaches every node. Each node's rules go in with one
     * {@code iptables-restore} (one transaction), every node's at the same time: one {@code iptables} call per
     * rule, 24 of them one after the other for a 2|3 split, took seconds on a loaded machine, and meanwhile
     * some pairs were cut and others not (members across the cut answered JGroups' checks for 3 s after the
     * cut began). A real cut is not installed pair by pair.
     *
     * @return how long the rules took to go in, in milliseconds
     */
    public long partition(Collection<Integer> sideA, Collection<Integer> sideB) {
        requireIptables();
        long started = System.nanoTime();
        Map<Integer, Collection<Integer>> peers = new LinkedHashMap<>();
        sideA.forEach(a -> peers.put(a, sideB));
        sideB.forEach(b -> peers.put(b, sideA));
        ExecutorService threads = Executors.newFixedThreadPool(peers.size());
        try {
            List<Future<?>> all = new ArrayList<>();
            peers.forEach((slot, others) -> all.add(threads.submit(() -> drop(slot, others))));
            for (Future<?> f : all) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while cutting " + sideA + " | " + sideB, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } finally {
            threads.shutdownNow();
        }
        return Duration.ofNanos(System.nanoTime() - started).toMillis();
    }

    /** Drops everything between the slot and each peer, in both directions, in one transaction. */
    private static void drop(int in, Collection<Integer> peers) {
        StringBuilder rules = new StringBuilder("*filter\n");
        for (int peer : peers) {
            rules.append("-I INPUT -s ").append(address(peer)).append(" -j DROP\n");
            rules.append("-I OUTPUT -d ").append(address(peer)).append(" -j DROP\n");
        }
        rules.append("COMMIT\n");
        Cmd.Result r = Cmd.run(Cmd.inNs(ns(in), "iptables-restore", "--noflush"), rules.toString());
        if (!r.ok()) {
            throw new IllegalStateException("cannot cut " + ns(in) + " off from " + peers + " (exit " + r.exitCode()
                    + "): " + r.output());
        }
    }

    /** Removes every rule the rig added in every slot (partition, loss). */
    public synchronized void heal() {
        for (int i : slots) {
            Cmd.Result r = Cmd.run(Cmd.inNs(ns(i), "iptables", "-F"));
            if (!r.ok() && !r.output().contains("No such file")) {
                throw new IllegalStateException("cannot remove the rules of " + ns(i) + ": " + r.output());
            }
        }
    }

    /** Drops each packet in and out of the slot's link with the given probability (iptables statistic). */
    public void lossy(int slot, double probability) {
        requireIptables();
        String p = String.valueOf(probability);
        Cmd.checkInNs(ns(slot), "iptables", "-A", "INPUT", "-i", nsLink(slot), "-m", "statistic", "--mode", "random",
                "--probability", p, "-j", "DROP");
        Cmd.checkInNs(ns(slot), "iptables", "-A", "OUTPUT", "-o", nsLink(slot), "-m", "statistic", "--mode", "random",
                "--probability", p, "-j", "DROP");
    }

    /** Whether {@code tc qdisc ... netem} works on this kernel (the module is missing on some machines). */
    public boolean netemAvailable() {
        return Cmd.run(Cmd.inNs(ns(1), "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms")).ok()
                && Cmd.run(Cmd.inNs(ns(1), "tc", "qdisc", "del", "dev", "lo", "root")).ok();
    }

    /** Delays every packet leaving the slot's link (tc netem). */
    public void delay(int slot, int millis) {
        Cmd.checkInNs(ns(slot), "tc", "qdisc", "add", "dev", nsLink(slot), "root", "netem", "delay", millis + "ms");
    }

    static void requireIptables() {
        Cmd.Result r = Cmd.run("iptables", "--version");
        if (!r.ok()) {
            throw new IllegalStateException("this fault needs iptables (apt-get install -y iptables): " + r.output());
        }
    }

    /** PIDs of the processes inside a slot's namespace. */
    public static List<Long> pidsIn(String ns) {
        List<Long> pids = new ArrayList<>();
        Cmd.Result r = Cmd.run("ip", "netns", "pids", ns);
        if (r.ok()) {
            for (String line : r.output().split("\\s+")) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        }
        return pids;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
        try {
            machineLock.channel().close();
        } catch (IOException e) {
            // closing releases the lock; the OS does so anyway when this JVM exits
        }
    }

    /** Waits until no other fault run uses this machine's rig (see the class comment). */
    private static FileLock lockMachine() {
        try {
            FileChannel ch = FileChannel.open(Path.of(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                System.out.println("[rig] another fault run holds " + LOCK_FILE + "; waiting for it to finish");
                lock = ch.lock();
            }
            return lock;
        } catch (IOException e) {
            throw new IllegalStateException("cannot lock " + LOCK_FILE + " (only one fault run per machine): " + e, e);
        }
    }

    /**
     * Kills (SIGKILL, by PID) whatever still runs in our namespaces, then deletes the namespaces and every
     * link named {@value #PREFIX}*. Idempotent; used at start (leftovers of a crashed run) and at close.
     */
    static synchronized void removeAll() {
        Cmd.Result list = Cmd.run("ip", "netns", "list");
        List<String> namespaces = new ArrayList<>();
        if (list.ok()) {
            for (String line : list.output().split("\n")) {
                String name = line.trim().split("\\s+")[0];
                if (name.startsWith(PREFIX)) {
                    namespaces.add(name);
                }
            }
        }
        for (String ns : namespaces) {
            for (long pid : pidsIn(ns)) {
                ProcessHandle.of(pid).ifPresent(ph -> {
                    Cmd.run("kill", "-CONT", String.valueOf(pid)); // a SIGSTOPped node must die too
                    ph.destroyForcibly();
                });
            }
        }
        for (String ns : namespaces) {
            for (long pid : pidsIn(ns)) {
                ProcessHandle.of(pid).ifPresent(ph -> ph.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                        .exceptionally(t -> ph).join());
            }
            Cmd.run("ip", "netns", "del", ns);
        }
        Cmd.Result links = Cmd.run("ip", "-o", "link", "show");
        if (links.ok()) {
            for (String line : links.output().split("\n")) {
                String[] parts = line.split(":\\s+");
                if (parts.length > 1) {
                    String name = parts[1].split("@")[0];
                    if (name.startsWith(PREFIX)) {
                        Cmd.run("ip", "link", "del", name);
                    }
                }
            }
        }
    }
}
