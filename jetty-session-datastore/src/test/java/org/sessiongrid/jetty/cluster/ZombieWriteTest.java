package org.sessiongrid.jetty.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * No zombie writes through Jetty (issue 17, item 3), the counterpart of tomcat-manager's
 * {@code ZombieWriteTest}: a request in flight on a node that is SIGSTOPped long enough to be expelled must
 * not, once the node is thawed and has rejoined, store what it computed before the freeze over what the user
 * stored on the other node meanwhile. Its client gets a 503 with {@code Retry-After}, the session's primary
 * counts the refusal ({@code FencedCommits}), and the node's cached copy is dropped, so that the user's next
 * request there reads the newer value. A later request of the same user on the thawed node while the held
 * one still runs shares the held request's copy (Jetty's cache does not refresh a copy in use): its save
 * names the pre-freeze base and is fenced as well, so nothing of the pre-freeze value is stored. A third
 * user's held request is a logout, a fourth's a login's id change, each after reading the session: both get a
 * 503, no {@code sessionDestroyed} fires, and the sessions go on under their ids on both nodes; a logout and a
 * login made after the rejoin go through (one {@code sessionDestroyed}; the moved session is read under its
 * new id on the other node). Two ee11 JVMs with the coherent cache ({@code /app}); failure
 * detection 3 s and merges 1-2 s so that the freeze, the expulsion and the rejoin take seconds.
 */
class ZombieWriteTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int N1 = 0;
    private static final int N2 = 1;

    @Test
    void aRequestInFlightWhenItsNodeFrozeGetsA503AndTheNewerValueStays() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Farm farm = new Farm("ee11").setting("sessiongrid.failureDetectionInterval", 1000)
                .setting("sessiongrid.verifySuspectTimeout", 500).setting("sessiongrid.mergeMinInterval", 1000)
                .setting("sessiongrid.mergeMaxInterval", 2000).start(2, 60, 60, null)) {
            String n1 = farm.node(N1).name();
            Farm.Client control = new Farm.Client();
            awaitSettled(farm, control);
            // Two users, each with a request held on n1 across the freeze. The second one's next request
            // after the rejoin goes to n1 too, where the held request still uses the cached copy.
            Farm.Client user = new Farm.Client();
            Farm.Client shared = new Farm.Client();
            assertEquals("1", farm.get(N1, "/app/inc", user));
            assertEquals("1", farm.get(N1, "/app/inc", shared));
            Farm.Client leaving = new Farm.Client();
            Farm.Client rotating = new Farm.Client();
            assertEquals("1", farm.get(N1, "/app/inc", leaving));
            assertEquals("1", farm.get(N1, "/app/inc", rotating));

            // A second tab of each user: a request on n1 reads the session (1), sets 2 and is held there; the
            // third user's logs out and the fourth's logs in (an id change) once released.
            Future<HttpResponse<String>> inFlight = hold(pool, farm, user, "/app/hold", "zombie");
            Future<HttpResponse<String>> inFlightShared = hold(pool, farm, shared, "/app/hold", "shared");
            Future<HttpResponse<String>> logout = hold(pool, farm, leaving, "/app/invalidate", "logout");
            Future<HttpResponse<String>> login = hold(pool, farm, rotating, "/app/rotate", "login");
            Farm.awaitTrue("the requests held on n1", WAIT, () -> Stream.of("zombie", "shared", "logout", "login")
                    .allMatch(key -> body(farm, N1, "/app/holding?key=" + key, control).equals("true")));
            int destroyedBefore = destroyed(farm, control);

            // n1 freezes; once n2 expelled it, the users go on on n2 and store 2, then 3.
            farm.freeze(N1);
            String owners = "/diag/owners?path=/app&id=" + user.cookie;
            Farm.awaitTrue("n1 expelled", WAIT, () -> {
                String now = body(farm, N2, owners, control);
                return !now.isEmpty() && !now.contains(n1);
            });
            for (Farm.Client u : new Farm.Client[] {user, shared, leaving, rotating}) {
                assertEquals("2", farm.get(N2, "/app/inc", u));
                assertEquals("3", farm.get(N2, "/app/inc", u));
            }

            // n1 thaws, notices its pause and rejoins; then the held requests end and commit.
            farm.thaw(N1);
            Farm.awaitTrue("n1 rejoined", WAIT, () -> body(farm, N2, owners, control).contains(n1));
            awaitSettled(farm, control);

            // The second user's next request lands on n1 while its held request still uses the cached copy:
            // Jetty hands it that copy unrefreshed (a copy in use is shared), so it read the held request's 2
            // on the pre-freeze base, and its save is fenced too instead of storing 3.
            assertFenced(farm.send(N1, "/app/inc", shared), "a request on n1 sharing the held request's copy");

            assertEquals("true", farm.get(N1, "/app/release?key=zombie", control));
            assertEquals("true", farm.get(N1, "/app/release?key=shared", control));
            assertFenced(inFlight.get(60, TimeUnit.SECONDS), "the request that started before the freeze");
            assertFenced(inFlightShared.get(60, TimeUnit.SECONDS),
                    "the request that started before the freeze, whose copy a later request's refused save dropped");
            assertEquals("true", farm.get(N1, "/app/release?key=logout", control));
            assertEquals("true", farm.get(N1, "/app/release?key=login", control));
            assertFenced(logout.get(60, TimeUnit.SECONDS), "the logout that started before the freeze");
            HttpResponse<String> refusedLogin = login.get(60, TimeUnit.SECONDS);
            assertFenced(refusedLogin, "the login that started before the freeze");
            assertTrue(Farm.sessionCookie(refusedLogin).isEmpty(), "the refused login's 503 sets no new id");
            assertEquals(destroyedBefore, destroyed(farm, control), "sessionDestroyed for a session that goes on");
            assertEquals(4, fenced(farm, N1, control) + fenced(farm, N2, control),
                    "refused by the sessions' primaries (FencedCommits), not by n1's own pause detection");

            assertEquals("4", farm.get(N2, "/app/inc", user),
                    "the session keeps what was stored while n1 was frozen, and goes on from there");
            assertEquals("5", farm.get(N1, "/app/inc", user), "n1 serves the current session again");
            assertEquals("4", farm.get(N2, "/app/inc", shared), "the second user's session keeps its 3");
            assertEquals("5", farm.get(N1, "/app/inc", shared), "on either node");
            for (Farm.Client u : new Farm.Client[] {leaving, rotating}) {
                assertEquals("4", farm.get(N2, "/app/inc", u), "a session whose zombie end was refused goes on");
                assertEquals("5", farm.get(N1, "/app/inc", u), "on either node");
            }

            // A logout and a login made now go through: one sessionDestroyed; the moved session under its new id.
            assertEquals("ok", farm.get(N1, "/app/invalidate", leaving));
            assertEquals(destroyedBefore + 1, destroyed(farm, control), "sessionDestroyed once for the logout");
            assertEquals("none", farm.get(N2, "/app/get", leaving), "the logged-out session on the other node");
            String before = rotating.cookie;
            assertEquals("rotated", farm.get(N1, "/app/rotate", rotating));
            assertNotEquals(before, rotating.cookie, "the login's new session id");
            assertEquals("6", farm.get(N2, "/app/inc", rotating), "the moved session on the other node");
            assertEquals(destroyedBefore + 1, destroyed(farm, control), "no sessionDestroyed for an id change");
        } finally {
            pool.shutdownNow();
        }
    }

    /** A second tab of {@code user}: a request to {@code path} on n1 that reads the session and waits for /release. */
    private static Future<HttpResponse<String>> hold(ExecutorService pool, Farm farm, Farm.Client user, String path,
                                                     String key) {
        Farm.Client tab = new Farm.Client();
        tab.cookie = user.cookie;
        return pool.submit(() -> farm.send(N1, path + "?key=" + key + "&holdMax=120", tab, Duration.ofSeconds(150)));
    }

    /** sessionDestroyed calls on both nodes. */
    private static int destroyed(Farm farm, Farm.Client control) throws IOException, InterruptedException {
        return Integer.parseInt(farm.get(N1, "/app/destroyed", control).trim())
                + Integer.parseInt(farm.get(N2, "/app/destroyed", control).trim());
    }

    private static void assertFenced(HttpResponse<String> r, String what) {
        assertEquals(503, r.statusCode(), what + " answered " + r.statusCode() + " " + r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), what + ": 503 with Retry-After");
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
