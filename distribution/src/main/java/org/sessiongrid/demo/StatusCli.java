package org.sessiongrid.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.sessiongrid.cli.JmxStatus;

/**
 * {@code bin/sessiongrid status [URL]}: prints the demo farm's status ({@code /demo/status}) as a table,
 * or a node's grid figures (the sample webapp's {@code /app/api/grid}) one per line.
 * {@code bin/sessiongrid status --pid PID} or {@code --jmx SERVICE_URL}: the figures of the grid members of
 * any JVM running SessionGrid, from its MXBeans ({@link JmxStatus}), for farms without the sample webapp.
 */
public final class StatusCli {

    private StatusCli() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        if (args.length > 1 && (args[0].equals("--pid") || args[0].equals("--jmx"))) {
            List<JmxStatus.Member> members;
            try {
                members = args[0].equals("--pid") ? JmxStatus.ofProcess(Long.parseLong(args[1]))
                        : JmxStatus.ofService(args[1]);
            } catch (NumberFormatException e) {
                System.err.println("sessiongrid status: --pid needs a process id, not '" + args[1] + "'");
                System.exit(2);
                return;
            } catch (java.io.IOException e) {
                System.err.println("sessiongrid status: " + e.getMessage());
                System.exit(1);
                return;
            }
            if (members.isEmpty()) {
                System.err.println("sessiongrid status: no SessionGrid member in " + String.join(" ", args)
                        + " (no MXBean " + JmxStatus.PATTERN + "): has a webapp on the grid started there?");
                System.exit(1);
            }
            System.out.print(render(members));
            return;
        }
        String url = args.length > 0 ? args[0] : "http://localhost:8080/demo/status";
        boolean json = args.length > 1 && "--json".equals(args[1]);
        HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("sessiongrid status: cannot reach " + url + " (" + e + "): is the demo running "
                    + "(mvn ... -Pdemo verify), or give a node's status URL, e.g. http://host:8080/app/api/grid");
            System.exit(1);
            return;
        }
        if (r.statusCode() != 200) {
            System.err.println("sessiongrid status: " + url + " answered HTTP " + r.statusCode());
            System.exit(1);
        }
        if (json) {
            System.out.println(r.body());
            return;
        }
        Map<String, Object> s = (Map<String, Object>) Json.parse(r.body());
        if (s.containsKey("nodes")) {
            System.out.print(StatusTable.render(s));
        } else {
            Object grid = s.getOrDefault("grid", s);
            System.out.println("node " + s.get("node"));
            ((Map<String, Object>) grid).forEach((k, v) -> System.out.printf("  %-30s %s%n", k, v));
        }
    }

    /** The members' figures, one per line under each member, as for a node's status URL. */
    static String render(List<JmxStatus.Member> members) {
        StringBuilder out = new StringBuilder();
        for (JmxStatus.Member m : members) {
            out.append("member ").append(m.name()).append('\n');
            m.figures().forEach((k, v) -> out.append(String.format("  %-30s %s%n", k, v)));
        }
        return out.toString();
    }
}
