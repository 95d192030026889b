package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * The rotation of the cluster secret that docs/configuration.md prescribes ("Rotating the secret"), done
 * as three rolling restarts of a 3-member grid over the tcp stack on loopback: no step splits the grid,
 * no session is lost, and afterwards a member holding only the old secret cannot join. A member that
 * missed the first roll cannot open what members in the second seal, which is why the docs prescribe
 * three rolls rather than one swap.
 */
class SecretRotationTest {

    private static final String OLD = "the-old-cluster-secret-of-this-test";
    private static final String NEW = "the-new-cluster-secret-of-this-test";
    private static final String NS = "localhost/app";
    private static final Duration FORM = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<SessionGrid> started = new ArrayList<>();

    @AfterEach
    void halt() {
        started.forEach(SessionGrid::halt);
    }

    @Test
    void threeRollingRestartsRotateTheSecretWithoutASplitOrALoss() throws Exception {
        String cluster = "rotation-" + UUID.randomUUID();
        int[] ports = {ClusterSecretTest.freePort(), ClusterSecretTest.freePort(), ClusterSecretTest.freePort()};
        String hosts = hosts(ports);
        SessionGrid[] grid = new SessionGrid[3];
        for (int i = 0; i < 3; i++) {
            grid[i] = start(cluster, i, ports[i], hosts, OLD);
        }
        awaitOneGrid(grid);
        String id = grid[0].store(NS).newLocalId(() -> UUID.randomUUID().toString());
        SessionRecord record = grid[0].store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800)
                .set("counter", counter(0)).build());
        int counter = 0;

        String[][] steps = {{OLD, NEW}, {NEW, OLD}, {NEW}};
        for (String[] secrets : steps) {
            for (int i = 0; i < 3; i++) {
                grid[i].close();
                started.remove(grid[i]);
                grid[i] = start(cluster, i, ports[i], hosts, secrets);
                awaitOneGrid(grid);
                counter++;
                record = grid[i].store(NS).commit(id, SessionDelta.builder().set("counter", counter(counter)).build(),
                        grid[i].store(NS).find(id, null));
                for (SessionGrid g : grid) {
                    SessionRecord seen = g.store(NS).find(id, null);
                    assertEquals(record.version(), seen.version(), g.memberName() + "'s copy after " + Arrays.toString(secrets));
                    assertArrayEquals(counter(counter), seen.attributes().get("counter").value(),
                            g.memberName() + "'s counter after " + Arrays.toString(secrets));
                }
            }
        }
        for (SessionGrid g : grid) {
            assertEquals(0, g.stats().droppedByReason().getOrDefault("other-secret", 0L),
                    g.memberName() + " refused a message during the rotation: " + g.stats().droppedByReason());
        }

        int port = ClusterSecretTest.freePort();
        SessionGrid stale = start(cluster, 3, port, hosts(ports) + ",127.0.0.1[" + port + "]", OLD);
        awaitRefused(grid[0], grid[0], stale);
    }

    @Test
    void aMemberThatMissedTheFirstRollStaysOut() throws Exception {
        String cluster = "rotation-skip-" + UUID.randomUUID();
        int[] ports = {ClusterSecretTest.freePort(), ClusterSecretTest.freePort(), ClusterSecretTest.freePort()};
        String hosts = hosts(ports);
        SessionGrid[] grid = {start(cluster, 0, ports[0], hosts, NEW, OLD), start(cluster, 1, ports[1], hosts, NEW, OLD)};
        awaitOneGrid(grid);
        // The others are in the second roll (sealing with the new secret); this one never opened it.
        SessionGrid behind = start(cluster, 2, ports[2], hosts, OLD);
        // The rolled members still open the old secret; it is the one left behind that refuses.
        awaitRefused(behind, grid[0], behind);
    }

    /**
     * Waits until {@code refuser} counts messages sealed with a secret it lacks; by then {@code outsider}
     * has tried to join, and it must hold no share of the grid, nor the grid of it.
     */
    private static void awaitRefused(SessionGrid refuser, SessionGrid grid, SessionGrid outsider) {
        Await.until(refuser.memberName() + " refuses messages sealed with a secret it lacks", FORM,
                () -> refuser.stats().droppedByReason().getOrDefault("other-secret", 0L) >= 3,
                () -> "drops " + refuser.stats().droppedByReason());
        assertEquals(List.of(outsider.memberName()), topologyMembers(outsider), "the outsider's topology");
        assertFalse(topologyMembers(grid).contains(outsider.memberName()), "the grid's topology " + topologyMembers(grid));
    }

    private static List<String> topologyMembers(SessionGrid g) {
        return g.topology().current().members().stream().map(Member::toString).toList();
    }

    private SessionGrid start(String cluster, int i, int port, String hosts, String... secrets) throws IOException {
        Path file = dir.resolve("secret-" + i);
        Files.write(file, List.of(secrets), StandardCharsets.UTF_8);
        SessionGrid g = SessionGrid.start(ClusterSecretTest.tcp(cluster, "M" + i, port, hosts)
                .clusterSecretFile(file.toString()).build());
        started.add(g);
        return g;
    }

    private static void awaitOneGrid(SessionGrid... grid) {
        Await.until("one stable grid of " + grid.length, FORM, () -> Arrays.stream(grid).allMatch(g -> g.isStable()
                        && g.members().size() == grid.length && g.topologyId() == grid[0].topologyId()),
                () -> Arrays.stream(grid).map(g -> g.memberName() + " " + g.members() + " t" + g.topologyId()
                        + (g.isStable() ? " stable" : "")).collect(Collectors.joining("; ")));
    }

    private static String hosts(int[] ports) {
        return Arrays.stream(ports).mapToObj(p -> "127.0.0.1[" + p + "]").collect(Collectors.joining(","));
    }

    private static byte[] counter(int n) {
        return Integer.toString(n).getBytes(StandardCharsets.UTF_8);
    }
}
