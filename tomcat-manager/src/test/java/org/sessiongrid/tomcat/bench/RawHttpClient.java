package org.sessiongrid.tomcat.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A keep-alive HTTP/1.1 client on one socket that allocates nothing per request: the request's bytes are made
 * once, the answer is read into one buffer and only its status, Content-Length and body (a number) are parsed.
 * Enough for {@link CounterServlet}'s answers and no more.
 */
final class RawHttpClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buffer = new byte[8192];
    private byte[] request;

    RawHttpClient(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends one request to {@code path} without a cookie and returns the session cookie it set. */
    String startSession(String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        int end = readAnswer();
        String head = new String(buffer, 0, end, StandardCharsets.ISO_8859_1);
        int at = head.indexOf("JSESSIONID=");
        if (at < 0) {
            throw new IOException("no session cookie in: " + head);
        }
        int stop = head.indexOf(';', at);
        return head.substring(at, stop < 0 ? head.indexOf('\r', at) : stop);
    }

    /** The request {@link #request()} sends from now on. */
    void prepare(String path, String cookie) {
        request = ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nCookie: " + cookie + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Sends the prepared request; returns the number in the answer's body. */
    int request() throws IOException {
        out.write(request);
        out.flush();
        int end = readAnswer();
        int value = 0;
        boolean negative = false;
        for (int i = end - bodyLength; i < end; i++) {
            byte b = buffer[i];
            if (b == '-') {
                negative = true;
            } else {
                value = value * 10 + (b - '0');
            }
        }
        if (buffer[9] != '2') {
            throw new IOException("status " + new String(buffer, 9, 3, StandardCharsets.US_ASCII));
        }
        return negative ? -value : value;
    }

    private int bodyLength;

    /** Reads one answer with Content-Length into the buffer; returns the end of its body. */
    private int readAnswer() throws IOException {
        int filled = 0;
        int headEnd = -1;
        while (true) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                throw new IOException("connection closed");
            }
            filled += n;
            if (headEnd < 0) {
                headEnd = find(buffer, filled);
                if (headEnd >= 0) {
                    bodyLength = contentLength(headEnd);
                }
            }
            if (headEnd >= 0 && filled >= headEnd + bodyLength) {
                return headEnd + bodyLength;
            }
        }
    }

    /** The index after the blank line ending the head, or -1. */
    private static int find(byte[] b, int filled) {
        for (int i = 3; i < filled; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);

    private int contentLength(int headEnd) throws IOException {
        outer:
        for (int i = 0; i + CONTENT_LENGTH.length < headEnd; i++) {
            for (int j = 0; j < CONTENT_LENGTH.length; j++) {
                if (Character.toLowerCase(buffer[i + j]) != CONTENT_LENGTH[j]) {
                    continue outer;
                }
            }
            int v = 0;
            for (int k = i + CONTENT_LENGTH.length; k < headEnd; k++) {
                byte c = buffer[k];
                if (c >= '0' && c <= '9') {
                    v = v * 10 + (c - '0');
                } else if (c == '\r') {
                    return v;
                }
            }
        }
        throw new IOException("no Content-Length");
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
