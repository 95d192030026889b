package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;

/**
 * Members of one grid on loopback ports, restarted one at a time with a new configuration (a rolling
 * restart, as docs/operations.md describes it) while a session is changed through each restarted member
 * and read back from all: what a rotation of the cluster's secret or certificates has to survive.
 */
final class RollingFarm implements AutoCloseable {

    /** A member's configuration at one step of a rotation. */
    @FunctionalInterface
    interface MemberConfig {
        GridConfig.Builder of(String cluster, String name, int port, String hosts) throws Exception;
    }

    private static final String NS = "localhost/app";
    private static final Duration FORM = Duration.ofSeconds(60);

    private final String cluster = "rolling-" + UUID.randomUUID();
    private final int[] ports;
    private final SessionGrid[] grid;
    private final List<SessionGrid> started = new ArrayList<>();
    private String sessionId;
    private int counter;

    RollingFarm(int size) throws IOException {
        ports = new int[size];
        for (int i = 0; i < size; i++) {
            ports[i] = ClusterSecretTest.freePort();
        }
        grid = new SessionGrid[size];
    }

    /** Starts every member with {@code config}, waits for one stable grid and creates the session. */
    void start(MemberConfig config) throws Exception {
        for (int i = 0; i < grid.length; i++) {
            grid[i] = start(config, "M" + i, ports[i], hosts(ports));
        }
        awaitOneGrid(grid);
        sessionId = grid[0].store(NS).newLocalId(() -> UUID.randomUUID().toString());
        grid[0].store(NS).create(sessionId, SessionDelta.builder().maxInactiveInterval(1800)
                .set("counter", counter(0)).build());
    }

    /**
     * Restarts the members one at a time with {@code config} ({@code step} names it in failures): after
     * each restart, one stable grid of all members, the session changed through the restarted member and
     * every member's copy at that change.
     */
    void roll(String step, MemberConfig config) throws Exception {
        for (int i = 0; i < grid.length; i++) {
            grid[i].close();
            started.remove(grid[i]);
            grid[i] = start(config, "M" + i, ports[i], hosts(ports));
            awaitOneGrid(grid);
            counter++;
            SessionStore store = grid[i].store(NS);
            SessionRecord record = store.commit(sessionId, SessionDelta.builder().set("counter", counter(counter)).build(),
                    store.find(sessionId, null));
            for (SessionGrid g : grid) {
                SessionRecord seen = g.store(NS).find(sessionId, null);
                assertEquals(record.version(), seen.version(), g.memberName() + "'s copy after " + step);
                assertArrayEquals(counter(counter), seen.attributes().get("counter").value(),
                        g.memberName() + "'s counter after " + step);
            }
        }
    }

    /** Starts a member that is not part of the rolling farm, with the farm's members as its initial hosts. */
    SessionGrid startOutsider(MemberConfig config) throws Exception {
        int port = ClusterSecretTest.freePort();
        int[] all = Arrays.copyOf(ports, ports.length + 1);
        all[ports.length] = port;
        return start(config, "Outsider", port, hosts(all));
    }

    /** Asserts that {@code outsider} holds no share of the farm's grid, nor the grid of it. */
    void assertApart(SessionGrid outsider) {
        assertEquals(List.of(outsider.memberName()), topologyMembers(outsider), "the outsider's topology");
        for (SessionGrid g : grid) {
            assertFalse(topologyMembers(g).contains(outsider.memberName()), g.memberName() + "'s topology "
                    + topologyMembers(g));
        }
    }

    SessionGrid member(int i) {
        return grid[i];
    }

    List<SessionGrid> members() {
        return List.of(grid);
    }

    @Override
    public void close() {
        started.forEach(SessionGrid::halt);
    }

    private SessionGrid start(MemberConfig config, String name, int port, String hosts) throws Exception {
        SessionGrid g = SessionGrid.start(config.of(cluster, name, port, hosts).build());
        started.add(g);
        return g;
    }

    private static void awaitOneGrid(SessionGrid... grid) {
        Await.until("one stable grid of " + grid.length, FORM, () -> Arrays.stream(grid).allMatch(g -> g.isStable()
                        && g.members().size() == grid.length && g.topologyId() == grid[0].topologyId()),
                () -> Arrays.stream(grid).map(RollingFarm::describe).collect(Collectors.joining("; ")));
    }

    /** A member's view, topology and transfer, for a failure message that tells where a rebalance stopped. */
    private static String describe(SessionGrid g) {
        Topology t = g.topology();
        return g.memberName() + " " + g.members() + (t == null ? " no topology" : " t" + t.id() + " " + t.phase()
                + " read " + t.readTable().members()) + ", " + g.node().segmentsPendingTransfer() + " segments to pull"
                + (g.isStable() ? ", stable" : "");
    }

    private static List<String> topologyMembers(SessionGrid g) {
        return g.topology().current().members().stream().map(Member::toString).toList();
    }

    private static String hosts(int[] ports) {
        return Arrays.stream(ports).mapToObj(p -> "127.0.0.1[" + p + "]").collect(Collectors.joining(","));
    }

    private static byte[] counter(int n) {
        return Integer.toString(n).getBytes(StandardCharsets.UTF_8);
    }
}
