package org.sessiongrid.demo;

import java.io.IOException;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.ProxyServlet;

/**
 * The demo's load balancer: Jetty's {@link ProxyServlet} forwards the request; this class only picks the
 * node ({@link Farm#pick}), from the route suffix of the session id in sticky mode. Unlike Jetty's
 * {@code BalancerServlet}, whose members are fixed at start, it follows the farm as nodes are killed,
 * restarted and added.
 */
public final class BalancerServlet extends ProxyServlet {

    private static final long serialVersionUID = 1L;
    private static final String NODE = BalancerServlet.class.getName() + ".node";
    /** Response header naming the node the balancer chose (the page and the tests show it). */
    public static final String NODE_HEADER = "X-SessionGrid-Node";

    private final transient Farm farm;

    public BalancerServlet(Farm farm) {
        this.farm = farm;
    }

    @Override
    protected String rewriteTarget(HttpServletRequest req) {
        Farm.Node n = farm.pick(route(req));
        if (n == null) {
            return null;
        }
        req.setAttribute(NODE, n.name);
        StringBuilder target = new StringBuilder(n.baseUrl()).append(req.getRequestURI());
        if (req.getQueryString() != null) {
            target.append('?').append(req.getQueryString());
        }
        return target.toString();
    }

    @Override
    protected void onProxyRewriteFailed(HttpServletRequest req, HttpServletResponse resp) {
        try {
            resp.sendError(503, "No SessionGrid node is running: start one on the demo page (or POST /demo/add).");
        } catch (IOException e) {
            // client gone
        }
    }

    @Override
    protected void onServerResponseHeaders(HttpServletRequest req, HttpServletResponse resp, Response serverResponse) {
        super.onServerResponseHeaders(req, resp, serverResponse);
        Object node = req.getAttribute(NODE);
        if (node != null) {
            resp.setHeader(NODE_HEADER, node.toString());
        }
    }

    /** The jvmRoute at the end of the session id (cookie or ;jsessionid= path parameter), or null. */
    static String route(HttpServletRequest req) {
        String id = null;
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if ("JSESSIONID".equals(c.getName())) {
                    id = c.getValue();
                }
            }
        }
        if (id == null) {
            String uri = req.getRequestURI();
            int p = uri.indexOf(";jsessionid=");
            if (p >= 0) {
                id = uri.substring(p + ";jsessionid=".length());
                int end = id.indexOf(';');
                id = end < 0 ? id : id.substring(0, end);
            }
        }
        int dot = id == null ? -1 : id.lastIndexOf('.');
        return dot < 0 ? null : id.substring(dot + 1);
    }
}
