package org.sessiongrid.demo.webapp;

import java.io.IOException;
import java.io.InputStream;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Serves the sample page. A servlet rather than the container's default servlet, so that the same
 * webapp works in embedded Tomcat (no default web.xml), a full Tomcat and Jetty alike. The page itself
 * never touches the session: only its counter calls do.
 */
public class PageServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (req.getServletPath().isEmpty() && req.getPathInfo() != null && !"/".equals(req.getPathInfo())) {
            resp.sendError(404);
            return;
        }
        try (InputStream in = getServletContext().getResourceAsStream("/index.html")) {
            if (in == null) {
                resp.sendError(404, "index.html missing from the sample webapp");
                return;
            }
            resp.setContentType("text/html;charset=UTF-8");
            resp.setHeader("Cache-Control", "no-store");
            in.transferTo(resp.getOutputStream());
        }
    }
}
