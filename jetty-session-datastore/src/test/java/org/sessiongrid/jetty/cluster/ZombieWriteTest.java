package org.sessiongrid.jetty.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * No zombie writes through Jetty (issue 17, item 3), the counterpart of tomcat-manager's
 * {@code ZombieWriteTest}: a request in flight on a node that is SIGSTOPped long enough to be expelled must
 * not, once the node is thawed and has rejoined, store what it computed before the freeze over what the user
 * stored on the other node meanwhile. Its client gets a 503 with {@code Retry-After}, the session's primary
 * counts the refusal ({@code FencedCommits}), and the node's cached copy is dropped, so that the user's next
 * request there reads the newer value. Two ee11 JVMs with the coherent cache ({@code /app}); failure
 * detection 3 s and merges 1-2 s so that the freeze, the expulsion and the rejoin take seconds.
 */
class ZombieWriteTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int N1 = 0;
    private static final int N2 = 1;

    @Test
    void aRequestInFlightWhenItsNodeFrozeGetsA503AndTheNewerValueStays() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Farm farm = new Farm("ee11").setting("sessiongrid.failureDetectionInterval", 1000)
                .setting("sessiongrid.verifySuspectTimeout", 500).setting("sessiongrid.mergeMinInterval", 1000)
                .setting("sessiongrid.mergeMaxInterval", 2000).start(2, 60, 60, null)) {
            String n1 = farm.node(N1).name();
            Farm.Client user = new Farm.Client();
            Farm.Client control = new Farm.Client();
            awaitSettled(farm, control);
            assertEquals("1", farm.get(N1, "/app/inc", user));

            // A second tab of the user: a request on n1 reads the session (1), sets 2 and is held there.
            Farm.Client tab = new Farm.Client();
            tab.cookie = user.cookie;
            Future<HttpResponse<String>> inFlight = pool.submit(
                    () -> farm.send(N1, "/app/hold?key=zombie&holdMax=120", tab, Duration.ofSeconds(150)));
            Farm.awaitTrue("the request held on n1", WAIT,
                    () -> body(farm, N1, "/app/holding?key=zombie", control).equals("true"));

            // n1 freezes; once n2 expelled it, the user goes on on n2 and stores 2, then 3.
            farm.freeze(N1);
            String owners = "/diag/owners?path=/app&id=" + user.cookie;
            Farm.awaitTrue("n1 expelled", WAIT, () -> {
                String now = body(farm, N2, owners, control);
                return !now.isEmpty() && !now.contains(n1);
            });
            assertEquals("2", farm.get(N2, "/app/inc", user));
            assertEquals("3", farm.get(N2, "/app/inc", user));

            // n1 thaws, notices its pause and rejoins; then the held request ends and commits.
            farm.thaw(N1);
            Farm.awaitTrue("n1 rejoined", WAIT, () -> body(farm, N2, owners, control).contains(n1));
            awaitSettled(farm, control);
            assertEquals("true", farm.get(N1, "/app/release?key=zombie", control));
            HttpResponse<String> zombie = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(503, zombie.statusCode(), "the request that started before the freeze answered "
                    + zombie.statusCode() + " " + zombie.body());
            assertTrue(zombie.headers().firstValue("Retry-After").isPresent(), "503 with Retry-After");
            assertEquals(1, fenced(farm, N1, control) + fenced(farm, N2, control),
                    "refused by the session's primary (FencedCommits), not by n1's own pause detection");

            assertEquals("4", farm.get(N2, "/app/inc", user),
                    "the session keeps what was stored while n1 was frozen, and goes on from there");
            assertEquals("5", farm.get(N1, "/app/inc", user), "n1 serves the current session again");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Both nodes report one topology with every segment placed and no transfer running. */
    private static void awaitSettled(Farm farm, Farm.Client control) throws InterruptedException {
        Farm.awaitTrue("one settled topology on both nodes", WAIT, () -> {
            String a = body(farm, N1, "/diag/stable", control);
            return a.endsWith(" true") && a.equals(body(farm, N2, "/diag/stable", control));
        });
    }

    /** The node's FencedCommits: commits it refused as a session's primary. */
    private static long fenced(Farm farm, int node, Farm.Client control) throws IOException, InterruptedException {
        return Long.parseLong(farm.get(node, "/diag/fenced", control).trim());
    }

    /** A 200 answer's body, or "" while the node does not answer (frozen, rejoining). */
    private static String body(Farm farm, int node, String path, Farm.Client control) {
        try {
            HttpResponse<String> r = farm.send(node, path, control, Duration.ofSeconds(5));
            return r.statusCode() == 200 ? r.body().trim() : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
