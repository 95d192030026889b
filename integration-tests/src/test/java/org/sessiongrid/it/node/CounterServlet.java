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
 * attribute is also replaced by N random bytes (the benchmarks' session size)</li>
 * <li>{@code /get}: the counter without changing anything, or {@code none - <node>} without a session</li>
 * <li>{@code /invalidate}: {@code invalidated <id> <node>}</li>
 * <li>{@code /status}: {@code key=value} lines from this member's SessionGrid MBean (members, topology,
 * rebalance, merge conflicts), which the rig uses to wait for the cluster instead of sleeping</li>
 * </ul>
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
        String answer;
        switch (op) {
            case "/inc" -> {
                HttpSession s = req.getSession(true);
                if (s.isNew() && req.getParameter("timeout") != null) {
                    s.setMaxInactiveInterval(Integer.parseInt(req.getParameter("timeout")));
                }
                Integer c = (Integer) s.getAttribute("counter");
                int next = c == null ? 1 : c + 1;
                s.setAttribute("counter", next);
                if (req.getParameter("pad") != null) {
                    // Random, so that no layer can shrink it by compression: the size is what is measured.
                    byte[] payload = new byte[Integer.parseInt(req.getParameter("pad"))];
                    java.util.concurrent.ThreadLocalRandom.current().nextBytes(payload);
                    s.setAttribute("payload", payload);
                }
                answer = next + " " + strip(s.getId()) + " " + node();
            }
            case "/get" -> {
                HttpSession s = req.getSession(false);
                if (s == null) {
                    answer = "none - " + node();
                } else {
                    Integer c = (Integer) s.getAttribute("counter");
                    answer = (c == null ? 0 : c) + " " + strip(s.getId()) + " " + node();
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
        resp.getWriter().print(answer);
    }

    private static String status() {
        StringBuilder out = new StringBuilder("node=").append(node()).append('\n');
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = mbs.queryNames(new ObjectName("org.sessiongrid:type=SessionGrid,*"), null);
            for (ObjectName n : names) {
                for (String a : new String[] {"MemberName", "Members", "ViewId", "TopologyId", "Coordinator",
                        "RebalanceInProgress", "RebalanceSegmentsPending", "RebalancesCompleted", "PrimarySessions",
                        "BackupSessions", "MergeConflicts", "LostSegments", "LostSessions", "DroppedMessages"}) {
                    Object v = mbs.getAttribute(n, a);
                    if (v instanceof Object[] arr) { // an MXBean List<String> arrives as String[]
                        v = String.join(",", java.util.Arrays.stream(arr).map(String::valueOf).toList());
                    } else if (v instanceof java.util.Collection<?> c) {
                        v = String.join(",", c.stream().map(String::valueOf).toList());
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
