package org.sessiongrid.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * {@code bin/sessiongrid status [URL]}: prints the demo farm's status ({@code /demo/status}) as a table,
 * or a node's grid figures (the sample webapp's {@code /app/api/grid}) one per line.
 */
public final class StatusCli {

    private StatusCli() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
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
}
