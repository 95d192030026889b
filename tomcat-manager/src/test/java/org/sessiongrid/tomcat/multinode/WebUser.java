package org.sessiongrid.tomcat.multinode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * A browser with one session cookie ({@code JSESSIONID}). Redirects are not followed, so the tests
 * see what the server answered.
 */
public final class WebUser {

    static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    public volatile String sessionId;

    public WebUser(String name) {
        this.name = name;
    }

    /** The jvmRoute the session id names, or null. */
    public String route() {
        String id = sessionId;
        int dot = id == null ? -1 : id.indexOf('.');
        return dot < 0 ? null : id.substring(dot + 1);
    }

    public HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    HttpResponse<String> postForm(String url, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        String id;
        synchronized (this) {
            id = sessionId;
        }
        if (id != null) {
            b.header("Cookie", "JSESSIONID=" + id);
        }
        HttpResponse<String> r = CLIENT.send(b.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        List<String> cookies = r.headers().allValues("Set-Cookie");
        for (String c : cookies) {
            if (c.startsWith("JSESSIONID=")) {
                int end = c.indexOf(';');
                synchronized (this) {
                    sessionId = c.substring("JSESSIONID=".length(), end < 0 ? c.length() : end);
                }
            }
        }
        return r;
    }

    @Override
    public String toString() {
        return name + "(" + sessionId + ")";
    }
}
