package org.sessiongrid.tomcat;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.catalina.Container;
import org.apache.catalina.Context;
import org.apache.catalina.Manager;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Session;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.sessiongrid.grid.GridException;
import org.sessiongrid.grid.SessionLockTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request boundary of {@link SessionGridManager}: takes the session lock (lockingMode) before
 * the request, loads the requested session (correcting its route), arms the response's
 * {@link CommitGate} so that the request's session changes are stored before any byte of the
 * response leaves, and ends the request ({@link RequestScope}).
 *
 * <p>It sits in the <em>Host</em> pipeline, not the Context's: authenticators live in the Context
 * pipeline and end some requests without calling the rest of it (FORM login's
 * {@code j_security_check}, which rotates the session id and stores the principal), and those
 * changes must be committed too. Installed and removed by the managers themselves, one valve per
 * Host shared by every SessionGrid webapp of that Host; not meant to be configured in server.xml.
 */
public final class SessionGridValve extends ValveBase {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridValve.class);

    /** Contexts of this Host whose manager uses the valve; guarded by the Host pipeline's lock. */
    private final Set<Context> contexts = new HashSet<>();

    public SessionGridValve() {
        super(true);
    }

    /** Installs the Host valve for {@code context} if it is the Host's first SessionGrid webapp. */
    static void register(Context context) {
        Pipeline pipeline = hostPipeline(context);
        synchronized (pipeline) {
            SessionGridValve valve = find(pipeline);
            if (valve == null) {
                valve = new SessionGridValve();
                pipeline.addValve(valve);
            }
            valve.contexts.add(context);
        }
    }

    /** Removes {@code context}; the valve leaves the Host with its last SessionGrid webapp. */
    static void unregister(Context context) {
        Pipeline pipeline = hostPipeline(context);
        synchronized (pipeline) {
            SessionGridValve valve = find(pipeline);
            if (valve != null) {
                valve.contexts.remove(context);
                if (valve.contexts.isEmpty()) {
                    pipeline.removeValve(valve);
                }
            }
        }
    }

    private static Pipeline hostPipeline(Context context) {
        Container host = context.getParent();
        return host.getPipeline();
    }

    private static SessionGridValve find(Pipeline pipeline) {
        for (Valve v : pipeline.getValves()) {
            if (v instanceof SessionGridValve sv) {
                return sv;
            }
        }
        return null;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        Context context = request.getContext();
        Manager m = context == null ? null : context.getManager();
        if (!(m instanceof SessionGridManager manager) || !manager.getState().isAvailable()) {
            getNext().invoke(request, response);
            return;
        }
        RequestScope scope = (RequestScope) request.getNote(RequestScope.NOTE);
        if (scope == null) {
            // First pass of this request (an async dispatch comes through here again with its scope).
            scope = new RequestScope();
            request.setNote(RequestScope.NOTE, scope);
            try {
                manager.locks().begin(request, scope);
            } catch (SessionLockTimeoutException e) {
                LOG.warn("Request {} refused with 503: {}", request.getDecodedRequestURI(), e.getMessage());
                scope.finish();
                refuse(response);
                return;
            } catch (GridException e) {
                LOG.warn("Request {} refused with 503: the session grid did not answer: {}",
                        request.getDecodedRequestURI(), e.getMessage());
                scope.finish();
                refuse(response);
                return;
            }
            RequestScope armed = scope;
            scope.gate = CommitGate.of(response.getCoyoteResponse());
            scope.gate.arm(() -> armed.commitBeforeResponse(request, response, RequestScope.Point.GATE));
        }
        RequestScope previous = scope.bind();
        try {
            if (!loadRequestedSession(request, response, manager)) {
                return;
            }
            getNext().invoke(request, response);
        } finally {
            RequestScope.restore(previous);
            if (request.isAsync()) {
                deferToAsyncEnd(request, response, scope);
            } else if (scope.finish()) {
                if (scope.gate.disarm()) {
                    // The response is still open: the commit point is now, before Tomcat sends it.
                    scope.commitBeforeResponse(request, response, RequestScope.Point.PIPELINE_END);
                }
                scope.end(request);
            }
        }
    }

    private static void refuse(Response response) throws IOException {
        response.setHeader("Retry-After", "1");
        response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
    }

    /** When the last "refused with 503" line was logged (nanoTime), and how many were not logged since. */
    private volatile long lastRefusalLog = System.nanoTime() - REFUSAL_LOG_NANOS;
    private final java.util.concurrent.atomic.AtomicLong refusalsNotLogged = new java.util.concurrent.atomic.AtomicLong();
    private static final long REFUSAL_LOG_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    /**
     * Loads the session the request names before the webapp runs. When the grid cannot produce it (it
     * does not answer, or this member refuses: a minority partition, back from a pause), the request is
     * answered 503 here, with one log line, instead of the exception reaching Tomcat's error handling
     * from the webapp's authenticator or servlet (a SEVERE line with a stack trace per request, and a
     * 500). The session is then cached for the request, so the webapp's own lookup costs nothing more.
     */
    private boolean loadRequestedSession(Request request, Response response, SessionGridManager manager)
            throws IOException {
        String id = request.getRequestedSessionId();
        if (id == null) {
            return true;
        }
        try {
            Session session = manager.findSession(id);
            if (session instanceof GridSession s) {
                manager.routes().correct(request, s);
            }
            return true;
        } catch (GridException e) {
            long now = System.nanoTime();
            if (now - lastRefusalLog > REFUSAL_LOG_NANOS) {
                lastRefusalLog = now;
                long more = refusalsNotLogged.getAndSet(0);
                LOG.warn("Request {} refused with 503: {}{}", request.getDecodedRequestURI(), e.getMessage(),
                        more == 0 ? "" : " (and " + more + " more refusals in the last 10 s, not logged)");
            } else {
                refusalsNotLogged.incrementAndGet();
            }
            refuse(response);
            return false;
        }
    }

    /**
     * Async requests pass their commit point when their response is committed (on whichever thread
     * does it); their end, with the late changes and the lock's release, is their completion.
     */
    private static void deferToAsyncEnd(Request request, Response response, RequestScope scope) {
        if (scope.asyncListenerAdded) {
            return;
        }
        scope.asyncListenerAdded = true;
        request.getAsyncContextInternal().addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                if (scope.finish()) {
                    if (scope.gate.disarm()) {
                        // The response is not committed yet: Tomcat 10.1 completes it after this call.
                        scope.commitBeforeResponse(request, response, RequestScope.Point.ASYNC_COMPLETE);
                    }
                    scope.end(request);
                }
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                // onComplete follows.
            }

            @Override
            public void onError(AsyncEvent event) {
                // onComplete follows.
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // The listener stays registered: Tomcat re-adds listeners on a new startAsync only if asked.
                event.getAsyncContext().addListener(this);
            }
        });
    }
}
