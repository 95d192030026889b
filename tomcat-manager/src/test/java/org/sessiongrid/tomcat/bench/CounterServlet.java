package org.sessiongrid.tomcat.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

/**
 * The benchmarks' counter webapp in brief: {@code /inc} increments the session's counter and replaces its 1 KiB random
 * {@code payload}, {@code /get} reads the counter only. Answers carry Content-Length, so the session is committed
 * at the response's commit point, as in the farm benchmark.
 */
final class CounterServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String op = req.getPathInfo();
        int value;
        if ("/inc".equals(op)) {
            HttpSession s = req.getSession(true);
            Integer c = (Integer) s.getAttribute("counter");
            value = c == null ? 1 : c + 1;
            s.setAttribute("counter", value);
            // Random, as the farm benchmark's servlet writes it: a payload equal to the last one would be found
            // unchanged and never travel, and the write would cost less than the farm's.
            byte[] payload = new byte[1024];
            ThreadLocalRandom.current().nextBytes(payload);
            s.setAttribute("payload", payload);
        } else {
            HttpSession s = req.getSession(false);
            Integer c = s == null ? null : (Integer) s.getAttribute("counter");
            value = c == null ? -1 : c;
        }
        byte[] body = Integer.toString(value).getBytes(StandardCharsets.US_ASCII);
        resp.setContentType("text/plain");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
