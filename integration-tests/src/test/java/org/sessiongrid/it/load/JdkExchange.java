package org.sessiongrid.it.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@link HttpExchange} through {@code java.net.http.HttpClient} (HTTP/1.1, its own connection pool). Its
 * timeouts cover the whole exchange, which is what the fault matrix's stall figures rely on.
 */
public final class JdkExchange implements HttpExchange {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @Override
    public Answer get(String baseUrl, String pathAndQuery, String cookieName, String cookie, String others,
                      Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).timeout(timeout);
        if (cookie != null || others != null) {
            b.header("Cookie", cookie == null ? others
                    : others == null ? cookieName + "=" + cookie : cookieName + "=" + cookie + "; " + others);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r.headers().allValues("Set-Cookie"),
                r.headers().firstValue("X-Served-By").orElse(null));
    }

    @Override
    public void close() {
        // HttpClient of Java 17 has no close; its connections end with the JVM or their idle timeout.
    }
}
