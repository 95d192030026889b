package org.sessiongrid.jetty.cluster;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Users behind a round-robin balancer: each user sends one request after another, each to the next
 * node, and every request increments the user's counter with the next answer style of
 * {@link Answers}. A <em>stale read</em> is an answer that is not one more than the user's previous
 * answer (the node worked on an older copy than the one the user was already told about); a
 * <em>lost update</em> is an acknowledged increment missing from the final counter, read on every
 * node after the last request.
 */
final class RoundRobinCheck {

    private static final Pattern LEADING_NUMBER = Pattern.compile("^(\\d+)");
    private static final Pattern COUNT_PARAM = Pattern.compile("[?&]count=(\\d+)");

    /**
     * How long each request keeps running after its answer was written (the application's work
     * after it answered): a change saved only when the request ends would reach the grid this much
     * after the client has its answer, and the user's next request, on another node, would miss it.
     */
    static final int LINGER_MS = 40;

    /** What the users saw. */
    record Result(int requests, List<String> staleReads, List<String> lostUpdates) {
        String summary() {
            return requests + " requests: " + staleReads.size() + " stale reads " + staleReads + ", "
                    + lostUpdates.size() + " users with lost updates " + lostUpdates;
        }
    }

    private RoundRobinCheck() {
    }

    static Result run(Farm farm, String context, int users, int rounds) throws Exception {
        int nodes = farm.nodes().size();
        List<String> stale = new CopyOnWriteArrayList<>();
        List<String> lost = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(users);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                int user = u;
                done.add(pool.submit(() -> {
                    Farm.Client client = new Farm.Client();
                    int acknowledged = 0;
                    int previous = 0;
                    for (int step = 0; step < rounds * Answers.STYLES.length; step++) {
                        String style = Answers.STYLES[(step + user) % Answers.STYLES.length];
                        int node = (user + step) % nodes;
                        if (step >= nodes) {
                            awaitPreviousRequestEnded(farm, node, context, client);
                        }
                        HttpResponse<String> r = farm.send(node, context + "/inc?out=" + style + "&linger=" + LINGER_MS,
                                client);
                        int got = counterOf(style, r);
                        acknowledged++;
                        if (got != previous + 1) {
                            stale.add("user " + user + " step " + step + " out=" + style + " on node " + node
                                    + ": " + got + " after " + previous);
                        }
                        previous = got;
                    }
                    for (int node = 0; node < nodes; node++) {
                        String last = farm.get(node, context + "/get", client);
                        if (!last.equals(String.valueOf(acknowledged))) {
                            lost.add("user " + user + " on node " + node + ": " + last + " of " + acknowledged);
                        }
                    }
                    return acknowledged;
                }));
            }
            int requests = 0;
            for (Future<Integer> f : done) {
                requests += f.get();
            }
            return new Result(requests, List.copyOf(stale), List.copyOf(lost));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits until the user's previous request on {@code node} (still running after its answer, see
     * {@link #LINGER_MS}) has ended: concurrent requests of one session on one node share its copy
     * (Jetty's model), which is another matter than the commit point this check is about.
     */
    private static void awaitPreviousRequestEnded(Farm farm, int node, String context, Farm.Client client)
            throws InterruptedException {
        String query = "/diag/inuse?path=" + context + "&id=" + client.cookie;
        Farm.awaitTrue("the previous request on node " + node + " to end", Duration.ofSeconds(10), () -> {
            try {
                return farm.get(node, query, new Farm.Client()).equals("no");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The counter an answer of {@code style} carries; anything else is an error of the farm. */
    static int counterOf(String style, HttpResponse<String> r) {
        int expectedStatus = switch (style) {
            case "redirect" -> 302;
            case "error" -> 409;
            default -> 200;
        };
        if (r.statusCode() != expectedStatus) {
            throw new AssertionError("out=" + style + " answered " + r.statusCode() + " " + r.headers().map() + " "
                    + r.body());
        }
        Matcher m = r.statusCode() == 302 ? COUNT_PARAM.matcher(r.headers().firstValue("Location").orElse(""))
                : LEADING_NUMBER.matcher(r.body());
        if (!m.find()) {
            throw new AssertionError("out=" + style + ": no counter in " + r.headers().map() + " " + r.body());
        }
        return Integer.parseInt(m.group(1));
    }
}
