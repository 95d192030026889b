package org.sessiongrid.boot.farm;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A browser with one session cookie ({@code JSESSIONID}) that follows no redirects, so a test sees what
 * the server answered. Not thread-safe: one user's requests are sequential.
 */
public final class Browser {

    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private String sessionId;

    /** The session cookie's value, or null. */
    public String sessionId() {
        return sessionId;
    }

    /** The route suffix of the session id ({@code n1} of {@code ABC.n1}), or null. */
    public String route() {
        int dot = sessionId == null ? -1 : sessionId.indexOf('.');
        return dot < 0 ? null : sessionId.substring(dot + 1);
    }

    public HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    /** POSTs an HTML form ({@code application/x-www-form-urlencoded}). */
    public HttpResponse<String> postForm(String url, Map<String, String> fields) throws IOException, InterruptedException {
        String body = fields.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        if (sessionId != null) {
            b.header("Cookie", "JSESSIONID=" + sessionId);
        }
        HttpResponse<String> r = CLIENT.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        for (String c : r.headers().allValues("Set-Cookie")) {
            if (c.startsWith("JSESSIONID=")) {
                int end = c.indexOf(';');
                sessionId = c.substring("JSESSIONID=".length(), end < 0 ? c.length() : end);
            }
        }
        return r;
    }
}
