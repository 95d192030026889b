package org.sessiongrid.it.load;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * One GET of the load client: the request goes out, its answer comes back, nothing is retried. Two
 * implementations: {@link JdkExchange} ({@code java.net.http}, the fault matrix's) and {@link SocketExchange}
 * (keep-alive sockets, the benchmarks': its own CPU must not be what limits a farm's throughput).
 *
 * <p>A timeout is thrown as {@link java.net.http.HttpTimeoutException} or {@link java.net.SocketTimeoutException};
 * any other failure without an HTTP answer as another {@link IOException}.
 */
public interface HttpExchange extends AutoCloseable {

    /**
     * An HTTP answer: its status, its body as text, the values of its {@code Set-Cookie} headers, and the node
     * a balancer in between named as the one that answered ({@code X-Served-By}), or null.
     */
    record Answer(int status, String body, List<String> setCookies, String servedBy) {
        public Answer(int status, String body, List<String> setCookies) {
            this(status, body, setCookies, null);
        }
    }

    /**
     * Sends {@code GET baseUrl + pathAndQuery}, with {@code Cookie: JSESSIONID=cookie} when {@code cookie} is
     * not null, and waits at most {@code timeout} for the answer.
     */
    default Answer get(String baseUrl, String pathAndQuery, String cookie, Duration timeout)
            throws IOException, InterruptedException {
        return get(baseUrl, pathAndQuery, "JSESSIONID", cookie, null, timeout);
    }

    /**
     * Sends {@code GET baseUrl + pathAndQuery} with a {@code Cookie} header when there is a cookie to send: the
     * session's, {@code cookieName=cookie} (when {@code cookie} is not null), then {@code others} (further
     * {@code name=value} pairs joined by {@code "; "}, or null), as a browser sends every cookie it holds for
     * the site; waits at most {@code timeout} for the answer.
     */
    Answer get(String baseUrl, String pathAndQuery, String cookieName, String cookie, String others, Duration timeout)
            throws IOException, InterruptedException;

    /** Closes whatever connections the exchange holds. */
    @Override
    void close();
}
