package org.sessiongrid.jetty.request;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection end of one request's response: every byte of it passes here, whichever way the
 * response gets committed (Content-Length reached, a flush, a body larger than the buffer, a
 * redirect, an error page, a close, the end of an async request on any thread, a dispatch). Jetty's
 * session handler wraps this stream from the outside, and when the response's status line and headers
 * are about to be sent, it first saves the request's session through the session cache
 * ({@code flushOnResponseCommit}); only then does the send reach this guard. A SessionGrid cache
 * reports a failed save here ({@link SessionGridRequestHandler#commitFailed}) instead of letting
 * Jetty log it: the guard then sends a 503 with {@code Retry-After} in place of the application's
 * response, so the client never gets an answer (nor a new session's cookie) for a change the grid does
 * not hold, and drops whatever the application writes afterwards.
 *
 * <p>It also ends the request's {@link SessionGridRequestHandler.LockScope} when the request
 * completes, after Jetty's session handler wrote the session back.
 *
 * <p>Thread-safety: Jetty sends one response from one thread at a time; the commit check and the
 * save it follows run on that thread, one call after the other.
 */
final class CommitGuard extends HttpStream.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(CommitGuard.class);

    /** Why the last save on this thread failed, since the last send that committed a response here. */
    private static final ThreadLocal<String> FAILED_SAVE = new ThreadLocal<>();

    private final SessionGridRequestHandler.LockScope scope;
    /** 0: nothing sent yet; 1: the application's response went out; 2: a 503 went out instead. */
    private volatile int state;

    CommitGuard(HttpStream stream, SessionGridRequestHandler.LockScope scope) {
        super(stream);
        this.scope = scope;
    }

    /** Records a save that failed on this thread while the response was being committed. */
    static void saveFailed(String reason) {
        FAILED_SAVE.set(reason);
    }

    /** Forgets a failure recorded on this thread (a new request starts on it). */
    static void forgetFailedSave() {
        FAILED_SAVE.remove();
    }

    @Override
    public void send(MetaData.Request request, MetaData.Response response, boolean last, ByteBuffer content,
                     Callback callback) {
        if (state == 2) {
            callback.succeeded(); // the application's output after the 503 it does not know of
            return;
        }
        if (state == 0 && response != null && !HttpStatus.isInformational(response.getStatus())) {
            String failedSave = FAILED_SAVE.get();
            FAILED_SAVE.remove();
            String failure = scope.failure() != null ? scope.failure() : failedSave;
            if (failure != null) {
                state = 2;
                sendUnavailable(request, response, failure, callback);
                return;
            }
            state = 1;
            if (response.getStatus() == HttpStatus.SERVICE_UNAVAILABLE_503 && scope.wasRefused()
                    && !response.getHttpFields().contains(HttpHeader.RETRY_AFTER)) {
                // Jetty's servlet layer wrote the 503 of a refused session: say when to come back.
                response = new MetaData.Response(response.getStatus(), response.getReason(), response.getHttpVersion(),
                        HttpFields.build(response.getHttpFields()).put(HttpHeader.RETRY_AFTER, "1"),
                        response.getContentLength(), response.getTrailersSupplier());
            }
        }
        super.send(request, response, last, content, callback);
    }

    private void sendUnavailable(MetaData.Request request, MetaData.Response response, String reason,
                                 Callback callback) {
        LOG.warn("{} answered 503: its session could not be saved before the response: {}",
                request == null ? "?" : request.getHttpURI().getPath(), reason);
        byte[] body = ("session not saved, try again: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        // Fresh headers: the application's, a new session's cookie among them, must not reach the client.
        HttpFields.Mutable headers = HttpFields.build()
                .put(HttpHeader.RETRY_AFTER, "1")
                .put(HttpHeader.CACHE_CONTROL, "no-store")
                .put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
        MetaData.Response unavailable = new MetaData.Response(HttpStatus.SERVICE_UNAVAILABLE_503, null,
                response.getHttpVersion(), headers, body.length);
        super.send(request, unavailable, true, ByteBuffer.wrap(body), callback);
    }

    @Override
    public void succeeded() {
        scope.close();
        super.succeeded();
    }

    @Override
    public void failed(Throwable x) {
        scope.close();
        super.failed(x);
    }
}
