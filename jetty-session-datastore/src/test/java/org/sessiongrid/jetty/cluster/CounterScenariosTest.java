package org.sessiongrid.jetty.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The counter scenarios of the Tomcat adapter, on three ee11 Jetty servers in separate JVMs with
 * the coherent cache ({@code /app}): round-robin users see every increment, concurrent requests
 * setting different attributes on different nodes all keep their attribute, and sticky users whose
 * node is killed with SIGKILL continue their counters on another node with no reset and no step back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CounterScenariosTest {

    private static final int NODES = 3;
    private Farm farm;

    @BeforeAll
    void startFarm() throws Exception {
        farm = new Farm("ee11").start(NODES, 60, 60, null);
    }

    @AfterAll
    void stopFarm() {
        if (farm != null) {
            farm.close();
        }
    }

    @Test
    @Order(1)
    void roundRobinUsersSeeEveryIncrementOnEveryNode() throws Exception {
        List<Farm.Client> users = new ArrayList<>();
        for (int u = 0; u < 8; u++) {
            users.add(new Farm.Client());
        }
        for (int step = 1; step <= 9; step++) {
            for (int u = 0; u < users.size(); u++) {
                int node = (u + step) % NODES;
                assertEquals(String.valueOf(step), farm.get(node, "/app/inc", users.get(u)),
                        "user " + u + " step " + step + " on node " + node);
            }
        }
    }

    @Test
    @Order(2)
    void concurrentRequestsOnDifferentNodesKeepEveryAttribute() throws Exception {
        int userCount = 16;
        int parallel = 4;
        int rounds = 3;
        List<Farm.Client> users = new ArrayList<>();
        for (int u = 0; u < userCount; u++) {
            Farm.Client c = new Farm.Client();
            farm.get(u % NODES, "/app/init", c);
            users.add(c);
        }
        ExecutorService pool = Executors.newFixedThreadPool(userCount * parallel);
        try {
            for (int round = 0; round < rounds; round++) {
                List<Future<String>> answers = new ArrayList<>();
                for (int u = 0; u < userCount; u++) {
                    Farm.Client c = users.get(u);
                    for (int j = 0; j < parallel; j++) {
                        int node = (u + j) % NODES;
                        String name = "a" + round + "-" + j;
                        answers.add(pool.submit(() -> farm.get(node, "/app/set?name=" + name, c)));
                    }
                }
                for (Future<String> f : answers) {
                    assertEquals("ok", f.get());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (int u = 0; u < userCount; u++) {
            Set<String> expected = new HashSet<>(Set.of("count"));
            for (int round = 0; round < rounds; round++) {
                for (int j = 0; j < parallel; j++) {
                    expected.add("a" + round + "-" + j);
                }
            }
            for (int node = 0; node < NODES; node++) {
                Set<String> names = Set.of(farm.get(node, "/app/names", users.get(u)).split(","));
                assertEquals(expected, names, "user " + u + " read on node " + node);
            }
        }
    }

    @Test
    @Order(3)
    void roundRobinWithLockingModeAllLosesNoIncrement() throws Exception {
        // /locked: lockingMode=all. Each user sends 4 increments at a time, one per node in turn,
        // so every request of a user races three others on other nodes for the same session.
        int userCount = 16;
        int parallel = 4;
        int rounds = 2;
        List<Farm.Client> users = new ArrayList<>();
        for (int u = 0; u < userCount; u++) {
            Farm.Client c = new Farm.Client();
            assertEquals("1", farm.get(u % NODES, "/locked/inc", c));
            users.add(c);
        }
        List<Set<String>> answers = new ArrayList<>();
        for (int u = 0; u < userCount; u++) {
            answers.add(java.util.concurrent.ConcurrentHashMap.newKeySet());
            answers.get(u).add("1");
        }
        ExecutorService pool = Executors.newFixedThreadPool(userCount * parallel);
        try {
            for (int round = 0; round < rounds; round++) {
                List<Future<?>> done = new ArrayList<>();
                for (int u = 0; u < userCount; u++) {
                    int user = u;
                    for (int j = 0; j < parallel; j++) {
                        int node = (u + j + round) % NODES;
                        done.add(pool.submit(() -> {
                            String got = farm.get(node, "/locked/inc", users.get(user));
                            // Under the lock no two increments of one user can read the same value.
                            assertTrue(answers.get(user).add(got), "user " + user + " got " + got + " twice");
                            return null;
                        }));
                    }
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (int u = 0; u < userCount; u++) {
            String acknowledged = String.valueOf(answers.get(u).size());
            for (int node = 0; node < NODES; node++) {
                assertEquals(acknowledged, farm.get(node, "/locked/get", users.get(u)),
                        "user " + u + ": final counter on node " + node + " = increments acknowledged");
            }
        }
    }

    @Test
    @Order(4)
    void copyCachedOnANodeIsEvictedWhenAnotherNodeChangesTheSession() throws Exception {
        Farm.Client user = new Farm.Client();
        assertEquals("0", farm.get(0, "/app/init", user));
        // A reader that is not the session's primary: the primary tells it about the change.
        int reader = -1;
        for (int n = 0; n < NODES && reader < 0; n++) {
            if (farm.get(n, "/diag/primary?path=/app&id=" + user.cookie, new Farm.Client()).equals("no")) {
                reader = n;
            }
        }
        int writer = (reader + 1) % NODES;
        int r = reader;
        assertEquals("0", farm.get(reader, "/app/get", user));
        assertEquals("yes", farm.get(reader, "/diag/cached?path=/app&id=" + user.cookie, new Farm.Client()));
        assertEquals("1", farm.get(writer, "/app/inc", user));
        // No request for the session on the reader from here on: only the change notice can evict.
        Farm.awaitTrue("node " + reader + " to evict its stale copy", java.time.Duration.ofSeconds(10), () -> {
            try {
                return farm.get(r, "/diag/cached?path=/app&id=" + user.cookie, new Farm.Client()).equals("no");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("1", farm.get(reader, "/app/get", user));
    }

    @Test
    @Order(5)
    void stickyUsersContinueTheirCountersAfterTheirNodeIsKilled() throws Exception {
        int userCount = 9;
        List<Farm.Client> users = new ArrayList<>();
        int[] counter = new int[userCount];
        for (int u = 0; u < userCount; u++) {
            users.add(new Farm.Client());
        }
        for (int step = 0; step < 5; step++) {
            for (int u = 0; u < userCount; u++) {
                assertEquals(String.valueOf(++counter[u]), farm.get(u % NODES, "/app/inc", users.get(u)));
            }
        }
        farm.crash(0);
        for (int step = 0; step < 5; step++) {
            for (int u = 0; u < userCount; u++) {
                int node = u % NODES == 0 ? 1 + (u / NODES) % 2 : u % NODES; // the balancer's failover
                String got = farm.get(node, "/app/inc", users.get(u));
                assertEquals(String.valueOf(++counter[u]), got, "user " + u + " after the crash, on node " + node);
            }
        }
        // Every surviving node's copy shows each user's last acknowledged value.
        for (int u = 0; u < userCount; u++) {
            for (int node = 1; node < NODES; node++) {
                assertEquals(String.valueOf(counter[u]), farm.get(node, "/app/get", users.get(u)),
                        "user " + u + " read on node " + node);
            }
        }
    }
}
