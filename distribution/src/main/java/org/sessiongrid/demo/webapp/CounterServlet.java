package org.sessiongrid.demo.webapp;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import org.sessiongrid.demo.Json;

/**
 * The sample webapp's one piece of state: a counter in the session. POST increments it, GET reads it;
 * both answer JSON naming the node that served the request (its jvmRoute), so a user sees a failover
 * keep the counter while the node changes.
 */
public class CounterServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        answer(req, resp, false);
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        answer(req, resp, true);
    }

    private static void answer(HttpServletRequest req, HttpServletResponse resp, boolean increment) throws IOException {
        HttpSession s = req.getSession(true);
        Integer c = (Integer) s.getAttribute("counter");
        if (c == null) {
            c = 0;
        }
        if (increment) {
            c++;
            s.setAttribute("counter", c);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", nodeName());
        out.put("sessionId", s.getId());
        out.put("counter", c);
        out.put("isNew", s.isNew());
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        // With Content-Length, as JSON writers answer: Tomcat sends it at its last byte.
        byte[] body = Json.write(out).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** The node's name: the demo sets sg.node.name; a plain Tomcat falls back to jvmRoute's property. */
    static String nodeName() {
        String n = System.getProperty("sg.node.name");
        if (n == null) {
            n = System.getProperty("jvmRoute");
        }
        return n == null ? ManagementHelper.engineJvmRoute() : n;
    }
}
