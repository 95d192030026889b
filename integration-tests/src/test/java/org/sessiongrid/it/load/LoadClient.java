package org.sessiongrid.it.load;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Many users, each with its own cookie, sending requests to the nodes as a balancer would, and recording
 * every request in a {@link History}.
 *
 * <p>Balancing ({@link Mode}): STICKY sends a user to the node named by its cookie's route (Tomcat: the
 * session's primary; Jetty: the node that served it last), else to the node it is pinned to, else (that
 * node is down) to a live node chosen by the user's number, where it stays. ROUND_ROBIN sends each request
 * of a user to the next live node. A node is taken out after a request to it failed without an HTTP
 * answer (refused, reset, timed out) and put back when its status page answers again, as a balancer's
 * health check does. BALANCER sends every request to the one target, a real balancer in front of the nodes
 * (its stickiness, failover and health checks are its own), and records the node the balancer names in its
 * answer. A request is never retried: its outcome is recorded and the checker treats a failed
 * increment as "may or may not have happened".
 *
 * <p>Workload: each regular user increments its counter; now and then (probability
 * {@code invalidateRate}) it invalidates its session, checks with the old cookie that the session is gone
 * ({@link Op.Kind#PROBE}) and starts a new one. Expiry users create sessions with a short timeout,
 * increment twice and abandon them; each such session must see sessionDestroyed exactly once.
 */
public final class LoadClient implements AutoCloseable {

    /** How requests are spread over the nodes. */
    public enum Mode {
        STICKY, ROUND_ROBIN, BALANCER
    }

    /** A node the client may send to. */
    public record Target(String name, String baseUrl) {
    }

    /** Load settings. */
    public record Settings(int users, int threads, int thinkMillis, double invalidateRate, int expiryUsers,
                           int expiryTimeoutSeconds, Duration requestTimeout) {
        public static Settings defaults() {
            return new Settings(120, 12, 10, 0.01, 8, 4, Duration.ofSeconds(8));
        }

        public Settings withUsers(int u, int t) {
            return new Settings(u, t, thinkMillis, invalidateRate, expiryUsers, expiryTimeoutSeconds, requestTimeout);
        }
    }

    private static final class User {
        final int id;
        final boolean expiry;
        String cookie; // the session cookie's value (JSESSIONID: with route)
        String probeCookie; // after an acknowledged invalidate: the old cookie, probed once
        Map<String, String> jar; // the other cookies the nodes set, by name (null: none yet)
        String others; // the jar as a Cookie header's "a=1; b=2", kept with it
        String pinned;
        int rr;
        long seq;
        int expiryIncs;

        User(int id, boolean expiry) {
            this.id = id;
            this.expiry = expiry;
        }
    }

    private final History history;
    private final Mode mode;
    private final Settings settings;
    private final Supplier<List<Target>> targets;
    private volatile HttpExchange http = new JdkExchange();
    private final Map<String, Boolean> down = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<User> users = new ArrayList<>();
    private volatile boolean running;
    private volatile boolean paused;
    private volatile double readRate;
    private volatile int payloadBytes;
    private volatile String sessionCookie = "JSESSIONID";
    private volatile boolean identifyRequests;

    /** The fourth word of an increment's answer when the session had already applied the request. */
    public static final String REPLAYED = "replayed";
    /** The prefix of the answer's word listing the requests the session applied before this one. */
    public static final String EARLIER = "earlier=";

    public LoadClient(History history, Mode mode, Settings settings, Supplier<List<Target>> targets) {
        this.history = history;
        this.mode = mode;
        this.settings = settings;
        this.targets = targets;
        for (int i = 0; i < settings.users(); i++) {
            users.add(new User(i, false));
        }
        for (int i = 0; i < settings.expiryUsers(); i++) {
            users.add(new User(settings.users() + i, true));
        }
    }

    public History history() {
        return history;
    }

    /**
     * The benchmarks' workload (set before {@link #start()}): a regular user with a session sends a READ
     * ({@code /get}, changes nothing) instead of an increment with probability {@code readRate}, and every
     * increment also replaces the session's {@code payload} attribute with {@code payloadBytes} random bytes
     * (0: no payload, the fault matrix's default). The checker judges a READ against the user's last
     * acknowledged increment, so a stale read shows as a lost increment.
     */
    public LoadClient workload(double readRate, int payloadBytes) {
        this.readRate = readRate;
        this.payloadBytes = payloadBytes;
        return this;
    }

    /**
     * The HTTP client (set before {@link #start()}): {@link JdkExchange} unless told otherwise; the
     * benchmarks use {@link SocketExchange}. The load client closes it.
     */
    public LoadClient exchange(HttpExchange exchange) {
        this.http = exchange;
        return this;
    }

    /**
     * The cookie that carries the session id (set before {@link #start()}): {@code JSESSIONID} unless told
     * otherwise. Every other cookie a node sets is kept per user and sent along with it, as a browser does:
     * a session filter such as Hazelcast's keeps its own cookie beside the container's session cookie and
     * needs both back.
     */
    public LoadClient sessionCookie(String name) {
        this.sessionCookie = name;
        return this;
    }

    /**
     * Sends each increment and invalidation with its own id ({@code req=<user>-<seq>}, set before
     * {@link #start()}). The fault nodes' servlet keeps the last id a session applied and says so when a request
     * arrives that the session has already applied ({@link Op#replayed()}): the load client never resends, so a
     * replay is a balancer's resend (or a grid that applied one request twice). The benchmarks leave it off: it
     * adds an attribute to every write.
     */
    public LoadClient identifyRequests() {
        this.identifyRequests = true;
        return this;
    }

    /** Starts the workers and the health check. */
    public void start() {
        running = true;
        int n = settings.threads();
        List<User> regular = users.stream().filter(u -> !u.expiry).toList();
        for (int t = 0; t < n; t++) {
            List<User> mine = new ArrayList<>();
            for (int i = t; i < regular.size(); i += n) {
                mine.add(regular.get(i));
            }
            Thread th = new Thread(() -> work(mine), "load-" + t);
            th.setDaemon(true);
            threads.add(th);
        }
        // Each expiry user on its own thread: a slow request of another user must not delay it past its
        // session's short timeout.
        for (User u : users) {
            if (u.expiry) {
                Thread th = new Thread(() -> work(List.of(u)), "load-expiry-" + u.id);
                th.setDaemon(true);
                threads.add(th);
            }
        }
        Thread health = new Thread(this::healthCheck, "load-health");
        health.setDaemon(true);
        threads.add(health);
        threads.forEach(Thread::start);
    }

    /** Stops sending (requests in flight complete) and waits for the workers. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(settings.requestTimeout().toMillis() + 5_000);
            if (t.isAlive()) {
                throw new IllegalStateException("load thread " + t.getName() + " did not stop");
            }
        }
        http.close();
    }

    /** Whether the balancer has taken the node out. */
    public boolean isDown(String node) {
        return down.getOrDefault(node, false);
    }

    /** Ops completed so far. */
    public int opsCount() {
        return history.ops().size();
    }

    private void work(List<User> mine) {
        int i = 0;
        while (running) {
            User u = mine.get(i++ % mine.size());
            try {
                step(u);
                if (settings.thinkMillis() > 0) {
                    Thread.sleep(u.expiry ? 200 : settings.thinkMillis());
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void step(User u) throws InterruptedException {
        if (u.expiry) {
            stepExpiry(u);
            return;
        }
        if (u.probeCookie != null) {
            String old = u.probeCookie;
            u.probeCookie = null;
            send(u, Op.Kind.PROBE, "/get", old);
            return;
        }
        if (u.cookie != null && ThreadLocalRandom.current().nextDouble() < settings.invalidateRate()) {
            String old = u.cookie;
            Op op = send(u, Op.Kind.INVALIDATE, "/invalidate", old);
            // Acknowledged: probe the old cookie once. Failed: the session may or may not be gone; either
            // way the user starts over (the checker treats its id as possibly invalidated).
            u.probeCookie = op.ok() ? old : null;
            u.cookie = null;
            return;
        }
        if (u.cookie != null && readRate > 0 && ThreadLocalRandom.current().nextDouble() < readRate) {
            send(u, Op.Kind.READ, "/get", u.cookie);
            return;
        }
        send(u, Op.Kind.INC, payloadBytes > 0 ? "/inc?pad=" + payloadBytes : "/inc", u.cookie);
    }

    /** Two increments of a short-lived session, then abandon it; the next round starts a new one. */
    private void stepExpiry(User u) throws InterruptedException {
        String query = u.cookie == null ? "/inc?timeout=" + settings.expiryTimeoutSeconds() : "/inc";
        Op op = send(u, Op.Kind.INC, query, u.cookie);
        if (op.ok()) {
            if (u.expiryIncs == 0) {
                history.shortLived(op.sessionId(), settings.expiryTimeoutSeconds() * 1000L);
            }
            u.expiryIncs++;
            if (u.expiryIncs >= 2) {
                history.expectExpiry(op.sessionId());
                u.cookie = null;
                u.expiryIncs = 0;
            }
        } else {
            // The session's fate is unknown (maybe never created): drop it, start another.
            u.cookie = null;
            u.expiryIncs = 0;
        }
    }

    /** Sends one request and records it; updates the user's cookie from the answer. */
    Op send(User u, Op.Kind kind, String path, String cookie) throws InterruptedException {
        Target t = choose(u, cookie);
        long seq = u.seq++;
        String sent = cookie == null ? null : strip(cookie);
        long start = history.now();
        if (identifyRequests && (kind == Op.Kind.INC || kind == Op.Kind.INVALIDATE)) {
            path = path + (path.indexOf('?') < 0 ? "?req=" : "&req=") + u.id + "-" + seq;
        }
        if (t == null) {
            Op op = new Op(u.id, seq, kind, "-", Op.Outcome.IO_ERROR, 0, -1, null, sent, start, start);
            history.add(op);
            Thread.sleep(100); // every node is down: do not spin
            return op;
        }
        Op op;
        try {
            HttpExchange.Answer r = http.get(t.baseUrl(), path, sessionCookie, cookie, u.others,
                    settings.requestTimeout());
            long end = history.now();
            keepOtherCookies(u, r);
            if (r.servedBy() != null && mode == Mode.BALANCER) {
                t = new Target(r.servedBy(), t.baseUrl());
            }
            if (r.status() != 200) {
                op = new Op(u.id, seq, kind, t.name(), Op.Outcome.HTTP_ERROR, r.status(), -1, null, sent, start, end);
            } else {
                String[] parts = r.body().trim().split(" ");
                long counter;
                String id;
                if (kind == Op.Kind.INVALIDATE) {
                    counter = -1;
                    id = parts[1].equals("-") ? null : parts[1];
                } else if (parts[0].equals("none")) {
                    counter = 0;
                    id = null;
                } else {
                    counter = Long.parseLong(parts[0]);
                    id = parts[1];
                }
                boolean replayed = false;
                List<String> earlier = List.of();
                for (int i = 3; i < parts.length; i++) {
                    if (parts[i].equals(REPLAYED)) {
                        replayed = true;
                    } else if (parts[i].startsWith(EARLIER)) {
                        earlier = List.of(parts[i].substring(EARLIER.length()).split(","));
                    }
                }
                op = new Op(u.id, seq, kind, t.name(), Op.Outcome.OK, 200, counter, id, sent, start, end, replayed,
                        earlier);
                if (kind == Op.Kind.INC) {
                    String prefix = sessionCookie + "=";
                    u.cookie = r.setCookies().stream().filter(c -> c.startsWith(prefix))
                            .map(c -> c.substring(prefix.length(), c.indexOf(';') > 0 ? c.indexOf(';') : c.length()))
                            .reduce((a, c) -> c).orElse(u.cookie);
                }
            }
        } catch (HttpTimeoutException | SocketTimeoutException e) {
            takeOut(t);
            op = new Op(u.id, seq, kind, t.name(), Op.Outcome.TIMEOUT, 0, -1, null, sent, start, history.now());
        } catch (IOException e) {
            takeOut(t);
            op = new Op(u.id, seq, kind, t.name(), Op.Outcome.IO_ERROR, 0, -1, null, sent, start, history.now());
        }
        history.add(op);
        return op;
    }

    /** Takes a node out after a request failed without an answer; a balancer takes its own nodes out. */
    private void takeOut(Target t) {
        if (mode != Mode.BALANCER) {
            down.put(t.name(), true);
        }
    }

    /** Keeps every cookie of the answer but the session's in the user's jar (the last value of a name wins). */
    private void keepOtherCookies(User u, HttpExchange.Answer r) {
        for (String c : r.setCookies()) {
            int eq = c.indexOf('=');
            if (eq <= 0 || c.startsWith(sessionCookie + "=")) {
                continue;
            }
            int semi = c.indexOf(';');
            String value = c.substring(eq + 1, semi > eq ? semi : c.length());
            if (u.jar == null) {
                u.jar = new java.util.LinkedHashMap<>();
            }
            if (!value.equals(u.jar.put(c.substring(0, eq), value))) {
                StringBuilder b = new StringBuilder();
                u.jar.forEach((k, v) -> b.append(b.length() == 0 ? "" : "; ").append(k).append('=').append(v));
                u.others = b.toString();
            }
        }
    }

    private Target choose(User u, String cookie) {
        if (mode == Mode.BALANCER) {
            return targets.get().get(0);
        }
        List<Target> live = targets.get().stream().filter(t -> !isDown(t.name())).toList();
        if (live.isEmpty()) {
            return null;
        }
        if (mode == Mode.ROUND_ROBIN) {
            return live.get(Math.floorMod(u.rr++ + u.id, live.size()));
        }
        String route = cookie == null ? null : route(cookie);
        if (route != null) {
            for (Target t : live) {
                if (t.name().equals(route)) {
                    u.pinned = route;
                    return t;
                }
            }
        }
        for (Target t : live) {
            if (t.name().equals(u.pinned)) {
                return t;
            }
        }
        Target t = live.get(Math.floorMod(u.id * 31 + u.rr++, live.size()));
        u.pinned = t.name();
        return t;
    }

    private void healthCheck() {
        while (running) {
            for (Target t : targets.get()) {
                if (isDown(t.name())) {
                    try {
                        if (http.get(t.baseUrl(), "/status", null, Duration.ofSeconds(1)).status() == 200) {
                            down.remove(t.name());
                        }
                    } catch (IOException e) {
                        // still down
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * After the load: one READ of every regular user's current session on every given node. The checker
     * requires each to show the user's last acknowledged counter (every copy converged). A read that fails
     * (error status, timeout) is tried again until {@link #FINAL_READ_RETRIES} after the first failure of
     * this pass; the last try is what is recorded, so a node that never answers is a violation.
     */
    public void readEverywhere(List<Target> nodes) throws InterruptedException {
        long deadline = 0;
        for (User u : users) {
            if (u.expiry || u.cookie == null) {
                continue;
            }
            for (Target t : nodes) {
                Op op = readOn(u, t);
                while (!op.ok()) {
                    if (deadline == 0) {
                        deadline = System.nanoTime() + FINAL_READ_RETRIES.toNanos();
                    }
                    if (System.nanoTime() > deadline) {
                        break;
                    }
                    Thread.sleep(200);
                    op = readOn(u, t);
                }
                history.add(op);
                u.seq++;
            }
        }
    }

    /** How long the final reads of one pass may keep failing before the failure stands. */
    static final Duration FINAL_READ_RETRIES = Duration.ofSeconds(30);

    private Op readOn(User u, Target t) throws InterruptedException {
        long seq = u.seq;
        String sent = strip(u.cookie);
        long start = history.now();
        Op op;
        try {
            HttpExchange.Answer r = http.get(t.baseUrl(), "/get", sessionCookie, u.cookie, u.others,
                    settings.requestTimeout());
            keepOtherCookies(u, r);
            String[] parts = r.body().trim().split(" ");
            if (r.status() != 200) {
                op = new Op(u.id, seq, Op.Kind.READ, t.name(), Op.Outcome.HTTP_ERROR, r.status(), -1, null, sent,
                        start, history.now());
            } else if (parts[0].equals("none")) {
                op = new Op(u.id, seq, Op.Kind.READ, t.name(), Op.Outcome.OK, 200, 0, null, sent, start, history.now());
            } else {
                op = new Op(u.id, seq, Op.Kind.READ, t.name(), Op.Outcome.OK, 200, Long.parseLong(parts[0]), parts[1],
                        sent, start, history.now());
            }
        } catch (IOException e) {
            op = new Op(u.id, seq, Op.Kind.READ, t.name(), Op.Outcome.IO_ERROR, 0, -1, null, sent, start, history.now());
        }
        return op;
    }

    static String strip(String cookie) {
        int dot = cookie.indexOf('.');
        return dot < 0 ? cookie : cookie.substring(0, dot);
    }

    static String route(String cookie) {
        int dot = cookie.indexOf('.');
        return dot < 0 ? null : cookie.substring(dot + 1);
    }
}
