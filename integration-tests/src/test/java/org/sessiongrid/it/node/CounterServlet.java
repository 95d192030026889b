package org.sessiongrid.it.node;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

/**
 * The webapp of every fault node (Tomcat and Jetty alike: only the Servlet API). Answers are one line
 * the load client parses: {@code <counter> <sessionId without route> <node>}.
 * <ul>
 * <li>{@code /inc[?timeout=S][&pad=N]}: counter += 1 in the session (created if needed; a new session gets
 * maxInactiveInterval S when given) and the new value; with {@code pad}, the session's {@code payload}
 * attribute is also replaced by N random bytes (the benchmarks' session size); with {@code req=<id>}, the
 * session keeps the id as {@code lastRequest}, and the answer has a fourth word, {@code replayed}, when the
 * session had already applied that id: the request runs a second time (the increment is applied again, as an
 * application without replay protection would), and the checker tells a balancer's resend from a grid fault;
 * the answer then also lists the ids of the last requests the session applied before this one
 * ({@code earlier=<id>,<id>...}, newest first), so that an increment the user never saw answered (a request
 * its client gave up on, run by the node later) is named, not guessed</li>
 * <li>{@code /get}: the counter without changing anything (and the {@code earlier=} list of {@code /inc}), or
 * {@code none - <node>} without a session</li>
 * <li>{@code /invalidate}: {@code invalidated <id> <node>} ({@code invalidated - <node>} without a session)</li>
 * <li>{@code /status}: {@code key=value} lines from this member's SessionGrid MBean (members, topology,
 * rebalance, merge conflicts), which the rig uses to wait for the cluster instead of sleeping, and the
 * counters the benchmarks read per node (commits run here as primary, messages and bytes sent by type,
 * suspicions); an MXBean map is one line of {@code key:value} pairs</li>
 * </ul>
 *
 * <p>Answers carry {@code Content-Length} and are sent the moment their last byte is written, as most
 * frameworks send theirs (byte-array bodies, JSON writers, {@code ResponseEntity}): the session's
 * change must be stored before that moment, not at the request's end. {@code ?out=} picks another way:
 * {@code writer} (the writer, sent when the request ends), {@code flush} ({@code flushBuffer()} before
 * the end), {@code big} (a 64 KiB body, larger than the buffer), {@code async} (written and completed
 * by a thread of the application's own).
 */
public class CounterServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    static String node() {
        return System.getProperty("fault.node");
    }

    static String strip(String id) {
        int dot = id.indexOf('.');
        return dot < 0 ? id : id.substring(0, dot);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String op = req.getPathInfo() == null ? "" : req.getPathInfo();
        resp.setContentType("text/plain");
        if ("/inc".equals(op) && "async".equals(req.getParameter("out"))) {
            jakarta.servlet.AsyncContext ac = req.startAsync();
            Thread t = new Thread(() -> {
                try {
                    answer((HttpServletResponse) ac.getResponse(), "cl", increment(req));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    ac.complete();
                }
            }, "app-async-writer");
            t.setDaemon(true);
            t.start();
            return;
        }
        String answer;
        switch (op) {
            case "/inc" -> answer = increment(req);
            case "/get" -> {
                HttpSession s = req.getSession(false);
                if (s == null) {
                    answer = "none - " + node();
                } else {
                    Integer c = (Integer) s.getAttribute("counter");
                    Object recent = s.getAttribute("recentRequests");
                    answer = (c == null ? 0 : c) + " " + strip(s.getId()) + " " + node()
                            + (recent == null ? "" : " earlier=" + recent);
                }
            }
            case "/invalidate" -> {
                HttpSession s = req.getSession(false);
                String id = s == null ? "-" : strip(s.getId());
                if (s != null) {
                    s.invalidate();
                }
                answer = "invalidated " + id + " " + node();
            }
            case "/status" -> answer = status();
            default -> {
                resp.sendError(404);
                return;
            }
        }
        answer(resp, "/inc".equals(op) ? req.getParameter("out") : null, answer);
    }

    /** counter += 1 in the session (see the class comment); the answer line. */
    private static String increment(HttpServletRequest req) {
        HttpSession s = req.getSession(true);
        if (s.isNew() && req.getParameter("timeout") != null) {
            s.setMaxInactiveInterval(Integer.parseInt(req.getParameter("timeout")));
        }
        Integer c = (Integer) s.getAttribute("counter");
        int next = c == null ? 1 : c + 1;
        s.setAttribute("counter", next);
        String id = req.getParameter("req");
        boolean replayed = false;
        String earlier = null;
        if (id != null) {
            replayed = id.equals(s.getAttribute("lastRequest"));
            s.setAttribute("lastRequest", id);
            earlier = (String) s.getAttribute("recentRequests");
            s.setAttribute("recentRequests", recent(id, earlier));
        }
        if (req.getParameter("pad") != null) {
            // Random, so that no layer can shrink it by compression: the size is what is measured.
            byte[] payload = new byte[Integer.parseInt(req.getParameter("pad"))];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(payload);
            s.setAttribute("payload", payload);
        }
        return next + " " + strip(s.getId()) + " " + node() + (replayed ? " replayed" : "")
                + (earlier == null ? "" : " earlier=" + earlier);
    }

    /** How many request ids a session keeps, newest first: enough to name a few increments nobody saw answered. */
    public static final int RECENT = 4;

    /** {@code id} in front of {@code earlier} (comma-separated, newest first), at most {@link #RECENT} ids. */
    static String recent(String id, String earlier) {
        if (earlier == null) {
            return id;
        }
        String[] ids = earlier.split(",");
        StringBuilder b = new StringBuilder(id);
        for (int i = 0; i < Math.min(ids.length, RECENT - 1); i++) {
            b.append(',').append(ids[i]);
        }
        return b.toString();
    }

    /** Writes {@code answer} the way {@code out} says (null: with Content-Length). */
    private static void answer(HttpServletResponse resp, String out, String answer) throws IOException {
        String how = out == null ? "cl" : out;
        switch (how) {
            case "cl" -> {
                byte[] body = answer.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                resp.setContentLength(body.length);
                resp.getOutputStream().write(body);
            }
            case "writer" -> resp.getWriter().print(answer);
            case "flush" -> {
                resp.getWriter().print(answer);
                resp.flushBuffer();
            }
            case "big" -> {
                // The answer line first (the load client reads the first line), then padding past the buffer.
                StringBuilder b = new StringBuilder(answer).append('\n');
                while (b.length() < 64 * 1024) {
                    b.append("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
                }
                resp.getWriter().print(b);
            }
            default -> resp.sendError(400, "unknown out=" + how);
        }
    }

    private static String status() {
        StringBuilder out = new StringBuilder("node=").append(node()).append('\n');
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = mbs.queryNames(new ObjectName("org.sessiongrid:type=SessionGrid,*"), null);
            for (ObjectName n : names) {
                for (String a : new String[] {"MemberName", "Members", "ViewId", "TopologyId", "Coordinator",
                        "RebalanceInProgress", "RebalanceSegmentsPending", "RebalancesCompleted", "PrimarySessions",
                        "BackupSessions", "MergeConflicts", "LostSegments", "LostSessions", "DroppedMessages", "Commits",
                        "MessagesSent", "BytesSent", "MessagesSentByType", "SuspicionsRaised", "SuspectsExcluded"}) {
                    Object v = mbs.getAttribute(n, a);
                    if (v instanceof Object[] arr) { // an MXBean List<String> arrives as String[]
                        v = String.join(",", java.util.Arrays.stream(arr).map(String::valueOf).toList());
                    } else if (v instanceof java.util.Collection<?> c) {
                        v = String.join(",", c.stream().map(String::valueOf).toList());
                    } else if (v instanceof javax.management.openmbean.TabularData table) { // an MXBean Map
                        v = String.join(",", table.values().stream()
                                .map(row -> (javax.management.openmbean.CompositeData) row)
                                .map(row -> row.get("key") + ":" + row.get("value")).sorted().toList());
                    }
                    out.append(a).append('=').append(v).append('\n');
                }
            }
        } catch (Exception e) {
            out.append("error=").append(e).append('\n');
        }
        return out.toString();
    }
}
