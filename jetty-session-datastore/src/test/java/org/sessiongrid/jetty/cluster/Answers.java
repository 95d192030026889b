package org.sessiongrid.jetty.cluster;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

/**
 * The ways {@code /inc?out=STYLE} writes its answer, one per way a response gets committed. The
 * answer's body starts with the counter (a 302 carries it in its Location instead), so the test reads
 * it the same way for every style:
 * <ul>
 * <li>{@code plain} (default): {@code print}, committed when the request ends</li>
 * <li>{@code cl}: {@code setContentLength(n)} and exactly n bytes: committed by the last byte</li>
 * <li>{@code flush}: {@code flushBuffer()} after the counter, then more output</li>
 * <li>{@code big}: a 64 KiB body, larger than the response buffer, the counter first</li>
 * <li>{@code close}: the writer closed after the counter</li>
 * <li>{@code redirect}: {@code sendRedirect} to {@code show?count=N}</li>
 * <li>{@code error}: {@code sendError(409)}, answered by the context's error page</li>
 * <li>{@code forward} / {@code include}: the counter is written by {@code /show} through the
 * dispatcher (the include flushes)</li>
 * <li>{@code async}: a thread of the application increments, writes and completes</li>
 * <li>{@code dispatch}: a thread of the application increments and dispatches to {@code /show}</li>
 * <li>{@code late}: Content-Length answer first, then a change to the session (attribute
 * {@code late}) after the response was committed</li>
 * </ul>
 */
final class Answers {

    static final String[] STYLES = {"plain", "cl", "flush", "big", "close", "redirect", "error", "forward", "include",
        "async", "dispatch"};

    /** Larger than Jetty's default response buffer (32 KiB). */
    static final int BIG = 64 * 1024;

    private Answers() {
    }

    /** Increments the counter and answers in {@code style}. */
    static void inc(String style, HttpServletRequest req, HttpServletResponse resp) throws IOException,
            ServletException {
        switch (style) {
            case "async" -> {
                AsyncContext async = req.startAsync();
                new Thread(() -> {
                    try {
                        int next = increment(req.getSession(true));
                        async.getResponse().setContentType("text/plain");
                        async.getResponse().getWriter().print(next);
                    } catch (IOException | RuntimeException e) {
                        ((HttpServletResponse) async.getResponse()).setStatus(500);
                    } finally {
                        async.complete();
                    }
                }, "app-async").start();
            }
            case "dispatch" -> {
                AsyncContext async = req.startAsync();
                new Thread(() -> {
                    increment(req.getSession(true));
                    async.dispatch("/show");
                }, "app-dispatch").start();
            }
            default -> write(style, increment(req.getSession(true)), req, resp);
        }
    }

    static int increment(HttpSession s) {
        Integer c = (Integer) s.getAttribute("count");
        int next = c == null ? 1 : c + 1;
        s.setAttribute("count", next);
        return next;
    }

    private static void write(String style, int next, HttpServletRequest req, HttpServletResponse resp)
            throws IOException, ServletException {
        String n = String.valueOf(next);
        switch (style) {
            case "plain" -> resp.getWriter().print(n);
            case "cl" -> contentLength(resp, n);
            case "late" -> {
                contentLength(resp, n);
                // After the last byte: the client may have its answer already.
                req.getSession().setAttribute("late", next);
            }
            case "flush" -> {
                PrintWriter w = resp.getWriter();
                w.print(n);
                resp.flushBuffer();
                w.print(" flushed");
            }
            case "big" -> {
                PrintWriter w = resp.getWriter();
                w.print(n);
                w.print('\n');
                w.print("x".repeat(BIG));
            }
            case "close" -> {
                PrintWriter w = resp.getWriter();
                w.print(n);
                w.close();
            }
            case "redirect" -> resp.sendRedirect(req.getContextPath() + "/show?count=" + n);
            case "error" -> resp.sendError(409);
            case "forward" -> req.getRequestDispatcher("/show").forward(req, resp);
            case "include" -> {
                req.getRequestDispatcher("/show?flush=1").include(req, resp);
                resp.getWriter().print(" included");
            }
            default -> throw new ServletException("unknown out=" + style);
        }
    }

    private static void contentLength(HttpServletResponse resp, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** {@code /show} and the error page: the session's counter, flushed if asked. */
    static void show(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HttpSession s = req.getSession(false);
        resp.setContentType("text/plain");
        resp.getWriter().print(s == null ? "none" : String.valueOf(s.getAttribute("count")));
        if (req.getParameter("flush") != null) {
            resp.flushBuffer();
        }
    }
}
