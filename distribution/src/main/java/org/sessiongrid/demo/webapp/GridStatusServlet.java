package org.sessiongrid.demo.webapp;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.sessiongrid.demo.Json;

/**
 * This node's SessionGrid figures, read from the MBean core registers
 * ({@code org.sessiongrid:type=SessionGrid,...}), so the sample needs no SessionGrid class at compile
 * time and works in any container with the grid in its lib. Never touches the session.
 */
public class GridStatusServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", CounterServlet.nodeName());
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName n : mbs.queryNames(new ObjectName("org.sessiongrid:type=SessionGrid,*"), null)) {
                Map<String, Object> grid = new LinkedHashMap<>();
                for (MBeanAttributeInfo a : mbs.getMBeanInfo(n).getAttributes()) {
                    Object v = mbs.getAttribute(n, a.getName());
                    grid.put(a.getName(), v instanceof String[] arr ? java.util.List.of(arr)
                            : v instanceof Number || v instanceof Boolean || v == null ? v : String.valueOf(v));
                }
                out.put("grid", grid);
            }
        } catch (Exception e) {
            out.put("error", e.toString());
        }
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.getWriter().print(Json.write(out));
    }
}
