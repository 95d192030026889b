package org.sessiongrid.it.load;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link HttpExchange} over plain keep-alive sockets: one connection per calling thread and node, the
 * request written from one reused buffer and the answer parsed in place (status line, {@code Content-Length}
 * or chunked body, {@code Set-Cookie}, {@code Connection: close}). Per request it allocates only the answer's
 * body text and cookie values. It exists so that the benchmarks measure the farm, not the client:
 * {@code java.net.http} spends on its selector thread, futures and header maps about as much CPU as a
 * node's request costs.
 *
 * <p>Thread safety: a connection is used only by the thread that opened it (each load thread sends one
 * request at a time); the set of all connections, for {@link #close()}, is concurrent.
 *
 * <p>Nothing is retried: a request that fails on a reused connection fails, as the load client's rules
 * say. To keep that from failing requests for nothing, a connection that the server announced it will
 * close ({@code Connection: close}, e.g. Tomcat's {@code maxKeepAliveRequests}) is closed after its answer,
 * and one idle longer than {@link #IDLE_LIMIT} is replaced before use: servers close idle connections
 * (Tomcat after 20 s, Jetty after 30 s), and a request written into a closed one would be lost. After
 * {@link #close()} the exchange can still be used: it opens new connections.
 */
public final class SocketExchange implements HttpExchange {

    static final Duration IDLE_LIMIT = Duration.ofSeconds(5);
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    private record Endpoint(String host, int port, String pathPrefix, String hostHeader) {
        static Endpoint of(String baseUrl) {
            URI u = URI.create(baseUrl);
            if (!"http".equals(u.getScheme()) || u.getPort() < 0) {
                throw new IllegalArgumentException("not an http://host:port/... base URL: " + baseUrl);
            }
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            return new Endpoint(u.getHost(), u.getPort(), path.endsWith("/") ? path.substring(0, path.length() - 1) : path,
                    u.getHost() + ":" + u.getPort());
        }
    }

    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Set<Connection> all = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Map<String, Connection>> mine = ThreadLocal.withInitial(HashMap::new);

    @Override
    public Answer get(String baseUrl, String pathAndQuery, String cookie, Duration timeout) throws IOException {
        return get(baseUrl, pathAndQuery, "JSESSIONID", cookie, null, timeout);
    }

    @Override
    public Answer get(String baseUrl, String pathAndQuery, String cookieName, String cookie, String others,
                      Duration timeout) throws IOException {
        Endpoint e = endpoints.computeIfAbsent(baseUrl, Endpoint::of);
        Map<String, Connection> conns = mine.get();
        Connection c = conns.get(baseUrl);
        if (c != null && (c.socket.isClosed() || System.nanoTime() - c.lastUsed > IDLE_LIMIT.toNanos())) {
            discard(conns, baseUrl, c);
            c = null;
        }
        if (c == null) {
            c = new Connection(e);
            all.add(c);
            conns.put(baseUrl, c);
        }
        try {
            Answer a = c.exchange(pathAndQuery, cookieName, cookie, others, timeout);
            if (c.closeAfter) {
                discard(conns, baseUrl, c);
            }
            return a;
        } catch (IOException | RuntimeException ex) {
            discard(conns, baseUrl, c);
            throw ex;
        }
    }

    private void discard(Map<String, Connection> conns, String baseUrl, Connection c) {
        conns.remove(baseUrl, c);
        all.remove(c);
        c.close();
    }

    /** Connections open now, over all threads (for tests). */
    int openConnections() {
        return all.size();
    }

    @Override
    public void close() {
        for (Connection c : all) {
            c.close();
        }
        all.clear();
    }

    /** One keep-alive connection, used by one thread. */
    private static final class Connection {
        private final Endpoint endpoint;
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private byte[] request = new byte[512];
        private byte[] buf = new byte[8192];
        private int pos;
        private int limit;
        private int soTimeout = -1;
        long lastUsed = System.nanoTime();
        boolean closeAfter;

        Connection(Endpoint endpoint) throws IOException {
            this.endpoint = endpoint;
            this.socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), CONNECT_TIMEOUT_MILLIS);
                this.in = socket.getInputStream();
                this.out = socket.getOutputStream();
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        Answer exchange(String pathAndQuery, String cookieName, String cookie, String others, Duration timeout)
                throws IOException {
            int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
            if (millis != soTimeout) {
                socket.setSoTimeout(millis);
                soTimeout = millis;
            }
            int n = 0;
            n = put(n, "GET ");
            n = put(n, endpoint.pathPrefix());
            n = put(n, pathAndQuery);
            n = put(n, " HTTP/1.1\r\nHost: ");
            n = put(n, endpoint.hostHeader());
            if (cookie != null || others != null) {
                n = put(n, "\r\nCookie: ");
                if (cookie != null) {
                    n = put(n, cookieName);
                    n = put(n, "=");
                    n = put(n, cookie);
                }
                if (others != null) {
                    n = put(n, cookie == null ? "" : "; ");
                    n = put(n, others);
                }
            }
            n = put(n, "\r\n\r\n");
            out.write(request, 0, n);
            out.flush();
            Answer a = readAnswer(TimeUnit.MILLISECONDS.toNanos(millis));
            lastUsed = System.nanoTime();
            return a;
        }

        private int put(int at, String s) {
            int len = s.length();
            if (at + len > request.length) {
                request = java.util.Arrays.copyOf(request, Math.max(request.length * 2, at + len));
            }
            for (int i = 0; i < len; i++) {
                request[at + i] = (byte) s.charAt(i);
            }
            return at + len;
        }

        private Answer readAnswer(long timeoutNanos) throws IOException {
            long deadline = System.nanoTime() + timeoutNanos;
            int lineEnd = line(deadline);
            // "HTTP/1.1 200 OK"
            if (lineEnd - pos < 12 || buf[pos] != 'H' || buf[pos + 8] != ' ') {
                throw new IOException("not an HTTP answer from " + endpoint.hostHeader() + ": "
                        + new String(buf, pos, Math.min(lineEnd - pos, 80), StandardCharsets.ISO_8859_1));
            }
            boolean http10 = buf[pos + 7] == '0';
            int status = (buf[pos + 9] - '0') * 100 + (buf[pos + 10] - '0') * 10 + (buf[pos + 11] - '0');
            pos = lineEnd + 2;
            long contentLength = -1;
            boolean chunked = false;
            closeAfter = http10;
            List<String> cookies = List.of();
            while (true) {
                lineEnd = line(deadline);
                if (lineEnd == pos) {
                    pos += 2;
                    break;
                }
                int colon = indexOf(pos, lineEnd, (byte) ':');
                if (colon > 0) {
                    int v = colon + 1;
                    while (v < lineEnd && buf[v] == ' ') {
                        v++;
                    }
                    if (nameIs(pos, colon, "content-length")) {
                        contentLength = Long.parseLong(text(v, lineEnd).trim());
                    } else if (nameIs(pos, colon, "transfer-encoding")) {
                        chunked = text(v, lineEnd).toLowerCase(java.util.Locale.ROOT).contains("chunked");
                    } else if (nameIs(pos, colon, "connection")) {
                        String value = text(v, lineEnd).toLowerCase(java.util.Locale.ROOT);
                        closeAfter = value.contains("close") || (http10 && !value.contains("keep-alive"));
                    } else if (nameIs(pos, colon, "set-cookie")) {
                        if (cookies.isEmpty()) {
                            cookies = new ArrayList<>(2);
                        }
                        cookies.add(text(v, lineEnd));
                    }
                }
                pos = lineEnd + 2;
            }
            String body;
            if (chunked) {
                body = chunkedBody(deadline);
            } else if (contentLength >= 0) {
                body = fixedBody((int) contentLength, deadline);
            } else if (status == 204 || status == 304) {
                body = "";
            } else {
                closeAfter = true;
                body = bodyToEof(deadline);
            }
            return new Answer(status, body, cookies);
        }

        /** The index of the next CRLF at or after pos, reading more as needed. */
        private int line(long deadline) throws IOException {
            int scanned = 0; // bytes after pos already searched (a CR at the end is searched again)
            while (true) {
                for (int i = pos + scanned; i + 1 < limit; i++) {
                    if (buf[i] == '\r' && buf[i + 1] == '\n') {
                        return i;
                    }
                }
                scanned = Math.max(0, limit - pos - 1);
                fill(deadline);
            }
        }

        private String fixedBody(int length, long deadline) throws IOException {
            while (limit - pos < length) {
                fill(deadline);
            }
            String s = text(pos, pos + length);
            pos += length;
            return s;
        }

        private String chunkedBody(long deadline) throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                int lineEnd = line(deadline);
                String size = text(pos, lineEnd);
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                pos = lineEnd + 2;
                if (n == 0) {
                    // trailers, then the empty line
                    while (true) {
                        lineEnd = line(deadline);
                        boolean empty = lineEnd == pos;
                        pos = lineEnd + 2;
                        if (empty) {
                            return sb.toString();
                        }
                    }
                }
                sb.append(fixedBody(n, deadline));
                lineEnd = line(deadline);
                pos = lineEnd + 2;
            }
        }

        private String bodyToEof(long deadline) throws IOException {
            while (true) {
                try {
                    fill(deadline);
                } catch (EOFException eof) {
                    String s = text(pos, limit);
                    pos = limit;
                    return s;
                }
            }
        }

        /** Reads more bytes after {@code limit}, compacting or growing the buffer; EOF is an error. */
        private void fill(long deadline) throws IOException {
            if (System.nanoTime() - deadline > 0) {
                throw new java.net.SocketTimeoutException("no whole answer from " + endpoint.hostHeader() + " in time");
            }
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                limit -= pos;
                pos = 0;
            }
            if (limit == buf.length) {
                buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            }
            int r = in.read(buf, limit, buf.length - limit);
            if (r < 0) {
                throw new EOFException("connection to " + endpoint.hostHeader() + " closed before the whole answer");
            }
            limit += r;
        }

        private int indexOf(int from, int to, byte b) {
            for (int i = from; i < to; i++) {
                if (buf[i] == b) {
                    return i;
                }
            }
            return -1;
        }

        private boolean nameIs(int from, int to, String lowerName) {
            if (to - from != lowerName.length()) {
                return false;
            }
            for (int i = 0; i < lowerName.length(); i++) {
                int c = buf[from + i];
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }
                if (c != lowerName.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private String text(int from, int to) {
            return new String(buf, from, to - from, StandardCharsets.UTF_8);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing: nothing to do
            }
        }
    }
}
