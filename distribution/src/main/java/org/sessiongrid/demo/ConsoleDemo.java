package org.sessiongrid.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/**
 * A small console cluster: three grid members on loopback TCP (the shipped {@code tcp} stack), a few
 * thousand sessions, a crash of one member, and the sessions surviving on the other two. Prints what
 * happens; exits when done.
 */
public final class ConsoleDemo {

    private static final String NS = "localhost/demo";
    private static final PrintStream OUT = System.out;

    private ConsoleDemo() {
    }

    public static void main(String[] args) throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        String hosts = "127.0.0.1[" + ports[0] + "],127.0.0.1[" + ports[1] + "],127.0.0.1[" + ports[2] + "]";
        List<SessionGrid> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                String name = "node" + (i + 1);
                members.add(SessionGrid.start(GridConfig.builder("sessiongrid-console-demo").stack("tcp").nodeName(name)
                        .stackProperty("sessiongrid.bindAddress", "127.0.0.1")
                        .stackProperty("sessiongrid.bindPort", String.valueOf(ports[i]))
                        .stackProperty("sessiongrid.portRange", "0")
                        .stackProperty("sessiongrid.initialHosts", hosts)
                        .failureDetectionTimeout(3_000)
                        .build()));
                OUT.println("started " + name + " on 127.0.0.1:" + ports[i]);
            }
            awaitBalanced(members, 3);
            status("three members, balanced", members);

            int sessions = 3_000;
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                String id = UUID.randomUUID().toString().replace("-", "");
                members.get(i % 3).store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800)
                        .set("counter", counter(1)).set("payload", new byte[1024]).build());
                ids.add(id);
            }
            OUT.printf("created %d sessions of 1 KiB through all three members%n", sessions);
            status("every session on 3 members", members);

            SessionGrid victim = members.get(0);
            long victimPrimaries = ids.stream().filter(id -> victim.store(NS).isLocalPrimary(id)).count();
            OUT.printf("%n*** crashing %s (primary of %d sessions), without any hand-over ***%n%n", victim.memberName(),
                    victimPrimaries);
            victim.halt();
            List<SessionGrid> survivors = members.subList(1, 3);
            awaitBalanced(survivors, 2);
            status("after the crash: backups promoted, copies restored", survivors);

            int ok = 0;
            for (int i = 0; i < ids.size(); i++) {
                SessionGrid through = survivors.get(i % 2);
                SessionRecord r = through.store(NS).find(ids.get(i), null);
                if (r != null) {
                    through.store(NS).commit(ids.get(i), SessionDelta.builder()
                            .set("counter", counter(ByteBuffer.wrap(r.attribute("counter")).getLong() + 1)).build(), r);
                    ok++;
                }
            }
            OUT.printf("%d of %d sessions found and incremented after the crash (%d lost)%n", ok, sessions, sessions - ok);
            OUT.println();
            OUT.println("The demo farm (Tomcat nodes behind a balancer) replaces this console demo; see README.md.");
            if (ok != sessions) {
                System.exit(1);
            }
        } finally {
            for (SessionGrid g : members) {
                g.halt();
            }
        }
    }

    private static byte[] counter(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits (bounded) until every member installed the same non-rebalancing topology naming {@code n} members. */
    private static void awaitBalanced(List<SessionGrid> members, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Topology t = members.get(0).topology();
            boolean same = t != null && !t.isRebalancing() && t.current().members().size() == n
                    && members.stream().allMatch(g -> g.topologyId() == t.id());
            if (same && org.sessiongrid.placement.Placement.rebalance(t.current(), t.current().members(), t.numOwners())
                    .equals(t.current())) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("cluster did not settle within 60 s");
    }

    private static void status(String title, List<SessionGrid> members) {
        Topology t = members.get(0).topology();
        OUT.printf("%n== %s (topology %d) ==%n", title, t.id());
        OUT.printf("%-8s %10s %10s %10s%n", "member", "primary", "backup", "records");
        for (SessionGrid g : members) {
            var me = t.current().members().stream().filter(m -> m.toString().equals(g.memberName())).findFirst()
                    .orElseThrow();
            int primary = t.current().primaryCount(me);
            int owned = t.current().ownedCount(me);
            OUT.printf("%-8s %10d %10d %10d%n", g.memberName(), primary, owned - primary, g.recordsHeld());
        }
        OUT.println("(primary/backup: segments of " + t.numSegments() + "; records: session copies held)");
    }
}
