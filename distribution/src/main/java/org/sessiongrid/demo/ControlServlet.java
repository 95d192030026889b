package org.sessiongrid.demo;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The demo's own endpoints on the balancer, under {@code /demo}: {@code GET status} (JSON; with
 * {@code ?session=ID} also where that session lives), {@code GET status.txt} (the same as a table),
 * and, for the demo only, {@code POST kill?node=}, {@code POST start?node=}, {@code POST add},
 * {@code POST mode?mode=sticky|round-robin}.
 */
public final class ControlServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final transient Farm farm;
    private final int port;

    public ControlServlet(Farm farm, int port) {
        this.farm = farm;
        this.port = port;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        switch (path) {
            case "/status" -> send(resp, 200, Json.write(status(req.getParameter("session"))));
            case "/status.txt" -> {
                resp.setContentType("text/plain;charset=UTF-8");
                resp.getWriter().print(StatusTable.render(status(null)));
            }
            default -> send(resp, 404, Json.write(Map.of("error", "no such demo endpoint: GET /demo" + path
                    + " (GET /demo/status, /demo/status.txt; POST /demo/kill, /demo/start, /demo/add, /demo/mode)")));
        }
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        try {
            Map<String, Object> out = new LinkedHashMap<>();
            switch (path) {
                case "/kill" -> {
                    Farm.Node n = farm.kill(required(req, "node"));
                    out.put("killed", n.name);
                    out.put("pid", n.pid());
                }
                case "/start" -> {
                    Farm.Node n = farm.start(required(req, "node"));
                    out.put("starting", n.name);
                    out.put("pid", n.pid());
                }
                case "/add" -> {
                    Farm.Node n = farm.add();
                    out.put("starting", n.name);
                    out.put("pid", n.pid());
                }
                case "/mode" -> {
                    farm.mode(Farm.Mode.parse(required(req, "mode")));
                    out.put("mode", farm.mode().label());
                }
                default -> {
                    send(resp, 404, Json.write(Map.of("error", "no such demo endpoint: POST /demo" + path)));
                    return;
                }
            }
            send(resp, 200, Json.write(out));
        } catch (IllegalArgumentException | IllegalStateException e) {
            send(resp, 409, Json.write(Map.of("error", String.valueOf(e.getMessage()))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(resp, 503, Json.write(Map.of("error", "interrupted")));
        }
    }

    private static String required(HttpServletRequest req, String name) {
        String v = req.getParameter(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("parameter '" + name + "' is missing");
        }
        return v;
    }

    private static void send(HttpServletResponse resp, int status, String json) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.getWriter().print(json);
    }

    /** The farm's status: each node's own report (asked in parallel, 1.5 s at most) and a summary. */
    @SuppressWarnings("unchecked")
    Map<String, Object> status(String session) {
        List<Farm.Node> nodes = farm.nodes();
        List<CompletableFuture<String>> reports = new ArrayList<>();
        for (Farm.Node n : nodes) {
            if (!n.serving()) {
                reports.add(CompletableFuture.completedFuture(null));
                continue;
            }
            String q = session == null || session.isBlank() ? ""
                    : "?session=" + URLEncoder.encode(session, StandardCharsets.UTF_8);
            HttpRequest r = HttpRequest.newBuilder(URI.create(n.baseUrl() + "/app/sg/status" + q))
                    .timeout(Duration.ofMillis(1500)).GET().build();
            reports.add(HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString())
                    .thenApply(x -> x.statusCode() == 200 ? x.body() : null).exceptionally(t -> null));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("balancer", "http://localhost:" + port + "/app/");
        out.put("mode", farm.mode().label());
        out.put("container", farm.container().label().toLowerCase(java.util.Locale.ROOT));
        List<Object> nodeList = new ArrayList<>();
        long topologyId = 0;
        int numSegments = 0;
        List<Object> members = List.of();
        boolean rebalancing = false;
        long pending = 0;
        Object sessionOwners = null;
        for (int i = 0; i < nodes.size(); i++) {
            Farm.Node n = nodes.get(i);
            Map<String, Object> report = null;
            String body = reports.get(i).join();
            if (body != null) {
                try {
                    report = (Map<String, Object>) Json.parse(body);
                } catch (IllegalArgumentException e) {
                    report = Map.of("error", e.getMessage());
                }
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", n.name);
            entry.put("state", n.state().name().toLowerCase());
            entry.put("pid", n.pid());
            entry.put("url", n.baseUrl() + "/app/");
            entry.put("gridPort", n.gridPort);
            entry.put("grid", report);
            nodeList.add(entry);
            if (report != null && report.get("topologyId") instanceof Long t) {
                rebalancing |= Boolean.TRUE.equals(report.get("rebalanceInProgress"));
                pending += report.get("rebalanceSegmentsPending") instanceof Long p ? p : 0;
                // The newest topology any node installed is the farm's; its view names the members.
                if (t >= topologyId) {
                    topologyId = t;
                    members = (List<Object>) report.getOrDefault("members", List.of());
                    numSegments = ((Long) report.getOrDefault("numSegments", 0L)).intValue();
                }
                if (sessionOwners == null && report.get("session") != null) {
                    sessionOwners = report.get("session");
                }
            }
        }
        out.put("topologyId", topologyId);
        out.put("members", members);
        out.put("numSegments", numSegments);
        out.put("rebalanceInProgress", rebalancing);
        out.put("rebalanceSegmentsPending", pending);
        out.put("nodes", nodeList);
        if (session != null && !session.isBlank()) {
            out.put("session", sessionOwners);
        }
        return out;
    }
}
