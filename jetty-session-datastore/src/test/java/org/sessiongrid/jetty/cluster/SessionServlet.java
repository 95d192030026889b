package org.sessiongrid.jetty.cluster;

import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;

import org.eclipse.jetty.server.Session;

/**
 * The test webapp of every clustered scenario. One servlet, operations by path:
 * <ul>
 * <li>{@code /init}: new session, {@code count=0}; {@code ?maxInactive=S} sets its timeout</li>
 * <li>{@code /inc}: {@code count += 1} and answers the new value (creates the session if needed);
 * {@code ?out=STYLE} picks how the answer is written ({@link Answers}), {@code &linger=MS} keeps the
 * request running that long after the answer was written</li>
 * <li>{@code /hold?key=K&holdMax=S}: {@code count += 1} in the session, then the request waits until
 * {@code /release?key=K} (at most S seconds) and answers the new value: a request in flight whose session
 * is saved only when it ends; {@code /holding?key=K}: whether such a request waits ({@code true}/{@code false})</li>
 * <li>{@code /show}: the counter (also the error page of the {@code error} style); {@code /late}: the
 * attribute {@code late}</li>
 * <li>{@code /whoami}: the session id with its route, as Jetty puts it in the cookie and URLs</li>
 * <li>{@code /get}: answers {@code count}, or {@code none} without a session</li>
 * <li>{@code /set?name=N}: sets attribute N to "v"; {@code /names}: the attribute names</li>
 * <li>{@code /invalidate}; with {@code ?key=K&holdMax=S} it reads the session, then waits as {@code /hold}
 * does before it invalidates (a logout in flight); {@code /rotate?key=K&holdMax=S} likewise before it
 * changes the session's id (a login's session fixation protection in flight), and answers {@code rotated}</li>
 * <li>{@code /setobj?value=V} and {@code /getobj}: an object of a class only the webapp's loader sees</li>
 * <li>{@code /destroyed}: how many sessions this node's {@code sessionDestroyed} saw</li>
 * <li>{@code /login} and {@code /login-error}: the FORM login and error pages of {@code /secure} (the login
 * page tells whether the request has a session, without making one); {@code /user}: the authenticated
 * user, {@code user=NAME}</li>
 * </ul>
 */
public class SessionServlet extends HttpServlet {

    /** Sessions destroyed on this node, counted by the listener below. */
    static final AtomicInteger DESTROYED = new AtomicInteger();

    /** Requests waiting in {@code /hold}, by key, each released by {@code /release}. */
    static final Map<String, CountDownLatch> HELD = new ConcurrentHashMap<>();

    /** Class name of the webapp-only attribute type (compiled by the test into the webapp's classes). */
    static final String WEBAPP_CLASS = "webapp.Cart";

    /** Counts {@code sessionDestroyed}, the event that must fire once per session in the cluster. */
    public static class Destroyed implements HttpSessionListener {
        @Override
        public void sessionDestroyed(HttpSessionEvent se) {
            DESTROYED.incrementAndGet();
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        // An included servlet sees the including request's path; the included one is an attribute.
        Object included = req.getAttribute(RequestDispatcher.INCLUDE_PATH_INFO);
        String op = included != null ? included.toString() : req.getPathInfo() == null ? "" : req.getPathInfo();
        resp.setContentType("text/plain");
        String answer;
        switch (op) {
            case "/init" -> {
                HttpSession s = req.getSession(true);
                s.setAttribute("count", 0);
                String mi = req.getParameter("maxInactive");
                if (mi != null) {
                    s.setMaxInactiveInterval(Integer.parseInt(mi));
                }
                answer = "0";
            }
            case "/inc" -> {
                String out = req.getParameter("out");
                Answers.inc(out == null ? "plain" : out, req, resp);
                String linger = req.getParameter("linger");
                if (linger != null && !req.isAsyncStarted()) {
                    try {
                        // The application's work after its answer (a log line, an audit record): the
                        // request ends this much later than the client can read the answer.
                        Thread.sleep(Long.parseLong(linger));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return;
            }
            case "/hold" -> {
                int next = Answers.increment(req.getSession(true));
                hold(req);
                answer = String.valueOf(next);
            }
            case "/holding" -> answer = String.valueOf(HELD.containsKey(req.getParameter("key")));
            case "/release" -> {
                CountDownLatch held = HELD.remove(req.getParameter("key"));
                if (held != null) {
                    held.countDown();
                }
                answer = String.valueOf(held != null);
            }
            case "/show" -> {
                Answers.show(req, resp);
                return;
            }
            case "/late" -> {
                HttpSession s = req.getSession(false);
                answer = s == null ? "none" : String.valueOf(s.getAttribute("late"));
            }
            case "/whoami" -> {
                HttpSession s = req.getSession(false);
                answer = s instanceof Session.API api ? api.getSession().getExtendedId() : "none";
            }
            case "/get" -> {
                HttpSession s = req.getSession(false);
                answer = s == null ? "none" : String.valueOf(s.getAttribute("count"));
            }
            case "/set" -> {
                req.getSession(true).setAttribute(req.getParameter("name"), "v");
                answer = "ok";
            }
            case "/names" -> {
                HttpSession s = req.getSession(false);
                answer = s == null ? "none" : String.join(",", Collections.list(s.getAttributeNames()));
            }
            case "/invalidate" -> {
                HttpSession s = req.getSession(false);
                if (s != null) {
                    s.getAttribute("count"); // what a logout reads (who is logged out) before it ends the session
                    hold(req);
                    s.invalidate();
                }
                answer = "ok";
            }
            case "/rotate" -> {
                HttpSession s = req.getSession(false);
                if (s == null) {
                    answer = "none";
                } else {
                    s.getAttribute("count");
                    hold(req);
                    req.changeSessionId();
                    answer = "rotated";
                }
            }
            case "/setobj" -> {
                try {
                    ClassLoader webapp = Thread.currentThread().getContextClassLoader();
                    Object cart = Class.forName(WEBAPP_CLASS, true, webapp).getConstructor(String.class)
                            .newInstance(req.getParameter("value"));
                    req.getSession(true).setAttribute("cart", cart);
                    answer = "ok";
                } catch (ReflectiveOperationException e) {
                    throw new IOException(e);
                }
            }
            case "/getobj" -> {
                HttpSession s = req.getSession(false);
                Object cart = s == null ? null : s.getAttribute("cart");
                // The loader proves the value was read back with the webapp's class loader.
                answer = cart == null ? "none" : cart + "@" + (cart.getClass().getClassLoader()
                        == Thread.currentThread().getContextClassLoader() ? "webapp" : "other");
            }
            case "/destroyed" -> answer = String.valueOf(DESTROYED.get());
            case "/login" -> answer = "login-page session=" + (req.getSession(false) == null ? "none" : "yes");
            case "/login-error" -> answer = "login-error";
            case "/user" -> answer = "user=" + req.getRemoteUser();
            default -> {
                resp.sendError(404);
                return;
            }
        }
        resp.getWriter().print(answer);
    }

    /** With {@code ?key=K&holdMax=S}: waits until {@code /release?key=K}, at most S seconds. */
    private static void hold(HttpServletRequest req) {
        String key = req.getParameter("key");
        if (key == null) {
            return;
        }
        CountDownLatch release = new CountDownLatch(1);
        HELD.put(key, release);
        try {
            release.await(Long.parseLong(req.getParameter("holdMax")), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
