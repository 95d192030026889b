package org.sessiongrid.tomcat.testapp;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

/** The test webapp: one servlet, one path per behaviour the tests exercise. */
public class TestServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Map<String, CountDownLatch> HOLDS = new ConcurrentHashMap<>();
    private static final Set<String> HOLDING = ConcurrentHashMap.newKeySet();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        doPost(req, resp);
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
        if (req.getServletPath() != null && !req.getServletPath().isEmpty()) {
            path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        }
        if (req.getAttribute(jakarta.servlet.RequestDispatcher.INCLUDE_PATH_INFO) != null) {
            path = (String) req.getAttribute(jakarta.servlet.RequestDispatcher.INCLUDE_PATH_INFO);
        }
        resp.setContentType("text/plain");
        StringBuilder out = new StringBuilder();
        switch (path) {
            case "/counter", "/locked/counter" -> {
                String how = req.getParameter("out");
                if ("async".equals(how)) {
                    asyncCounter(req);
                    return;
                }
                HttpSession s = req.getSession(true);
                int c = increment(s);
                hold(req);
                if (how != null) {
                    answerCounter(req, resp, how, c);
                    linger(req);
                    return;
                }
                out.append("counter=").append(c);
            }
            case "/late" -> {
                // Changes after the response was committed: stored at the request's end.
                HttpSession s = req.getSession(true);
                s.setAttribute("early", "1");
                int[] box = (int[]) s.getAttribute("box");
                if (box == null) {
                    box = new int[1];
                    s.setAttribute("box", box);
                }
                resp.getWriter().print("early node=" + System.getProperty("sg.node.route"));
                resp.flushBuffer();
                s.setAttribute("late", "1");
                box[0]++;
                return;
            }
            case "/id" -> {
                HttpSession s = req.getSession(false);
                out.append("id=").append(s == null ? null : s.getId());
            }
            case "/mutate" -> {
                // Changed in place, never set again: replicated by hash comparison.
                HttpSession s = req.getSession(true);
                int[] c = (int[]) s.getAttribute("box");
                if (c == null) {
                    c = new int[1];
                    s.setAttribute("box", c);
                }
                c[0]++;
                out.append("counter=").append(c[0]);
            }
            case "/async" -> {
                // The session is changed on another thread after the servlet returned.
                HttpSession s = req.getSession(true);
                jakarta.servlet.AsyncContext ac = req.startAsync();
                ac.start(() -> {
                    s.setAttribute("async", "done");
                    try {
                        ac.getResponse().getWriter().print("async-set node=" + System.getProperty("sg.node.route"));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    ac.complete();
                });
                return;
            }
            case "/accessor" -> {
                // Tomcat 11 / Servlet 6.1: use the session outside any request.
                HttpSession.Accessor acc = req.getSession(true).getAccessor();
                Thread t = new Thread(() -> acc.access(s -> s.setAttribute("accessor", "yes")));
                t.start();
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.append("ok");
            }
            case "/accessor-detached" -> {
                // Like a WebSocket handler: uses the session after its request ended, when released.
                HttpSession.Accessor acc = req.getSession(true).getAccessor();
                CountDownLatch latch = HOLDS.computeIfAbsent(req.getParameter("key"), k -> new CountDownLatch(1));
                Thread t = new Thread(() -> {
                    try {
                        if (latch.await(30, TimeUnit.SECONDS)) {
                            acc.access(s -> s.setAttribute("detached", "yes"));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "detached-accessor");
                t.setDaemon(true);
                t.start();
                out.append("ok");
            }
            case "/activation" -> {
                req.getSession(true).setAttribute("activated", new Activated());
                out.append("ok");
            }
            case "/set" -> {
                req.getSession(true).setAttribute(req.getParameter("name"), req.getParameter("value"));
                out.append("ok");
            }
            case "/attrs" -> {
                HttpSession s = req.getSession(false);
                hold(req); // with hold=KEY: the request holds its session, nothing read yet, until /release
                if (s == null) {
                    out.append("no-session");
                } else {
                    Map<String, Object> m = new TreeMap<>();
                    for (String n : Collections.list(s.getAttributeNames())) {
                        Object v = s.getAttribute(n);
                        m.put(n, v instanceof int[] a ? a[0] : v);
                    }
                    out.append(m);
                }
            }
            case "/invalidate" -> {
                HttpSession s = req.getSession(false);
                hold(req);
                if (s != null) {
                    s.invalidate();
                }
                out.append("invalidated");
            }
            case "/short" -> {
                HttpSession s = req.getSession(true);
                s.setMaxInactiveInterval(Integer.parseInt(req.getParameter("timeout")));
                s.setAttribute("bound", new Bound());
                out.append("id=").append(s.getId());
            }
            case "/cart-set" -> {
                try {
                    Class<?> type = Class.forName("webapp.Cart", true, Thread.currentThread().getContextClassLoader());
                    Object cart = type.getConstructor().newInstance();
                    type.getMethod("add", String.class).invoke(cart, req.getParameter("item"));
                    req.getSession(true).setAttribute("cart", cart);
                    out.append("ok");
                } catch (IllegalArgumentException e) {
                    out.append("refused: ").append(e.getMessage());
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            case "/cart-get" -> {
                Object cart = req.getSession(true).getAttribute("cart");
                out.append(cart).append(" class=").append(cart == null ? null : cart.getClass().getName())
                        .append(" webappLoader=")
                        .append(cart != null && cart.getClass().getClassLoader() == req.getServletContext().getClassLoader());
            }
            case "/nonserializable" -> {
                try {
                    req.getSession(true).setAttribute("thing", new Object());
                    out.append("accepted");
                } catch (IllegalArgumentException e) {
                    out.append("refused: ").append(e.getMessage());
                }
            }
            case "/secure/whoami" -> out.append("user=").append(req.getRemoteUser()).append(" session=")
                    .append(req.getSession(false) == null ? null : req.getSession(false).getId());
            case "/login" -> out.append("login-page");
            case "/loginError" -> out.append("login-error");
            case "/holding" -> out.append(HOLDING.contains(req.getParameter("key")));
            case "/release" -> {
                HOLDS.computeIfAbsent(req.getParameter("key"), k -> new CountDownLatch(1)).countDown();
                out.append("released");
            }
            case "/owners" -> out.append("owners=").append(sessionOwners(req.getContextPath(), req.getParameter("id")));
            case "/fenced" -> out.append("fenced=").append(gridAttribute("FencedCommits"));
            case "/stats" -> out.append("active=").append(managerAttribute(req.getContextPath(), "activeSessions"))
                    .append(" stable=").append(managerAttribute(req.getContextPath(), "topologyStable"))
                    .append(" topology=").append(managerAttribute(req.getContextPath(), "topologyId"));
            default -> {
                resp.sendError(404);
                return;
            }
        }
        out.append(" node=").append(System.getProperty("sg.node.route"));
        resp.getWriter().print(out);
    }

    private static int increment(HttpSession s) {
        Integer c = (Integer) s.getAttribute("counter");
        int next = c == null ? 1 : c + 1;
        s.setAttribute("counter", next);
        return next;
    }

    /**
     * The counter's answer written the way real applications commit a response ({@code ?out=}): each
     * commits it before the servlet returns, so the session's change must be stored by then.
     * {@code X-Counter} carries the value where the body is not the servlet's (redirect, error page).
     */
    private static void answerCounter(HttpServletRequest req, HttpServletResponse resp, String how, int c)
            throws IOException {
        String line = "counter=" + c + " node=" + System.getProperty("sg.node.route");
        byte[] body = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        resp.setHeader("X-Counter", String.valueOf(c));
        switch (how) {
            case "cl" -> {
                // Content-Length reached: Tomcat sends the response at the last byte.
                resp.setContentLength(body.length);
                resp.getOutputStream().write(body);
            }
            case "flush" -> {
                resp.getWriter().print(line);
                resp.flushBuffer();
                resp.getWriter().print(" flushed");
            }
            case "big" -> {
                // 64 KiB: more than the response buffer, sent while the servlet is still writing.
                StringBuilder b = new StringBuilder(line).append('\n');
                while (b.length() < 64 * 1024) {
                    b.append("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
                }
                resp.getWriter().print(b);
            }
            case "close" -> {
                java.io.PrintWriter w = resp.getWriter();
                w.print(line);
                w.close();
            }
            case "redirect" -> resp.sendRedirect(req.getContextPath() + "/attrs?counter=" + c);
            case "error" -> resp.sendError(409, line);
            case "forward" -> {
                try {
                    req.getRequestDispatcher("/attrs").forward(req, resp);
                } catch (jakarta.servlet.ServletException e) {
                    throw new IOException(e);
                }
            }
            case "include" -> {
                try {
                    req.getRequestDispatcher("/attrs").include(req, resp);
                    resp.flushBuffer();
                } catch (jakarta.servlet.ServletException e) {
                    throw new IOException(e);
                }
            }
            default -> resp.sendError(400, "unknown out=" + how);
        }
    }

    /** The session changes and the answer is written and completed on a thread of the application's own. */
    private static void asyncCounter(HttpServletRequest req) {
        HttpSession s = req.getSession(true);
        jakarta.servlet.AsyncContext ac = req.startAsync();
        ac.addListener(new jakarta.servlet.AsyncListener() {
            @Override
            public void onComplete(jakarta.servlet.AsyncEvent event) {
                linger(req); // the application's own clean-up, after the client has its answer
            }

            @Override
            public void onTimeout(jakarta.servlet.AsyncEvent event) {
            }

            @Override
            public void onError(jakarta.servlet.AsyncEvent event) {
            }

            @Override
            public void onStartAsync(jakarta.servlet.AsyncEvent event) {
            }
        });
        Thread t = new Thread(() -> {
            try {
                int c = increment(s);
                HttpServletResponse r = (HttpServletResponse) ac.getResponse();
                byte[] body = ("counter=" + c + " node=" + System.getProperty("sg.node.route"))
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                r.setHeader("X-Counter", String.valueOf(c));
                r.setContentLength(body.length);
                r.getOutputStream().write(body);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                ac.complete();
            }
        }, "app-async-writer");
        t.setDaemon(true);
        t.start();
    }

    /**
     * With {@code ?linger=MS} the application goes on working after its answer went out (logging,
     * clean-up, a slow filter): the window in which a change stored only at the request's end is
     * missing for the user's next request on another node.
     */
    private static void linger(HttpServletRequest req) {
        String ms = req.getParameter("linger");
        if (ms == null) {
            return;
        }
        try {
            Thread.sleep(Long.parseLong(ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * With ?hold=KEY the request waits (at most 30 s, or ?holdMax= seconds) for /release?key=KEY: /counter
     * after changing its session, /invalidate after reading it and before invalidating it.
     */
    private static void hold(HttpServletRequest req) {
        String key = req.getParameter("hold");
        if (key == null) {
            return;
        }
        CountDownLatch latch = HOLDS.computeIfAbsent(key, k -> new CountDownLatch(1));
        HOLDING.add(key);
        String max = req.getParameter("holdMax");
        try {
            latch.await(max == null ? 30 : Long.parseLong(max), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The Manager MBean's getSessionOwners operation: "primary,backup1,backup2". */
    private static Object sessionOwners(String contextPath, String id) {
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName n : mbs.queryNames(new ObjectName("*:type=Manager,context=" + contextPath + ",*"), null)) {
                return mbs.invoke(n, "getSessionOwners", new Object[] {id}, new String[] {String.class.getName()});
            }
            return "none";
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** An attribute of this JVM's SessionGrid member MBean (core's metrics), as an operator's JMX console shows it. */
    private static Object gridAttribute(String attribute) {
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName n : mbs.queryNames(new ObjectName("org.sessiongrid:type=SessionGrid,*"), null)) {
                return mbs.getAttribute(n, attribute);
            }
            return "none";
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** An attribute of the context's Manager MBean, as an operator's JMX console shows it. */
    private static Object managerAttribute(String contextPath, String attribute) {
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName n : mbs.queryNames(new ObjectName("*:type=Manager,context=" + contextPath + ",*"), null)) {
                return mbs.getAttribute(n, attribute);
            }
            return "none";
        } catch (Exception e) {
            return e.toString();
        }
    }
}
