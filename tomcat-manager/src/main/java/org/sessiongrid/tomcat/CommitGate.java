package org.sessiongrid.tomcat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.coyote.ActionCode;
import org.apache.coyote.ActionHook;
import org.apache.coyote.Response;

/**
 * The moment Tomcat commits a response, just before its status line and headers are written: the
 * only point every way of committing passes through. Content-Length reached, {@code flushBuffer()},
 * a body larger than the buffer, {@code close()}, {@code sendRedirect}/{@code sendError} and the
 * container's error pages, the end of an async request on whichever thread completes it, includes,
 * forwards and the authenticator valves all end in one of the coyote actions {@code COMMIT},
 * {@code CLOSE} or {@code CLIENT_FLUSH} on a response that is not committed yet.
 *
 * <p>Tomcat has no public listener for that moment. A response wrapper handed to the application
 * (what Spring Session does) sees only what the application writes through it: it has to guess the
 * commit from byte counts (wrong for a writer's multi-byte characters), and misses what the
 * container writes itself. So the gate takes the place of the coyote response's {@link ActionHook}
 * (its processor), passes every action on, and runs the armed task first when one of those actions
 * is about to commit. One gate per coyote response, installed on the first request through it and
 * kept: the processor and its response are reused request after request, and the gate holds nothing
 * between requests.
 *
 * <p>Thread-safety: {@link #arm} and {@link #disarm} run on the request's thread; the task runs once,
 * on the thread that commits the response (a request thread or, for async requests, any thread of
 * the application). The armed task is handed over through one atomic reference, so it runs at most
 * once.
 */
final class CommitGate implements ActionHook {

    /** {@code org.apache.coyote.Response.hook}: package-private in Tomcat 9, 10.1 and 11, no accessor. */
    private static final VarHandle HOOK = hookHandle();

    private final ActionHook processor;
    private final Response response;
    private final AtomicReference<Runnable> armed = new AtomicReference<>();

    private CommitGate(ActionHook processor, Response response) {
        this.processor = processor;
        this.response = response;
    }

    /**
     * Checks that this Tomcat lets the gate in; called when a manager starts, so that a Tomcat
     * without the field fails at start rather than serving stale sessions.
     *
     * @throws IllegalStateException naming the problem and the supported Tomcat versions
     */
    static void checkSupported() {
        if (HOOK == null) {
            throw new IllegalStateException("this Tomcat (" + org.apache.catalina.util.ServerInfo.getServerInfo()
                    + ") does not let SessionGrid see when a response is committed (no field"
                    + " org.apache.coyote.Response.hook); SessionGrid supports Tomcat 9, 10.1 and 11");
        }
    }

    /** The gate of {@code response}, installed in front of its processor if it has none yet. */
    static CommitGate of(Response response) {
        checkSupported();
        ActionHook hook = (ActionHook) HOOK.getVolatile(response);
        if (hook instanceof CommitGate gate) {
            return gate;
        }
        CommitGate gate = new CommitGate(hook, response);
        HOOK.setVolatile(response, gate);
        return gate;
    }

    /** Runs {@code beforeCommit} once, right before the response is committed. */
    void arm(Runnable beforeCommit) {
        armed.set(beforeCommit);
    }

    /**
     * Takes the armed task back without running it.
     *
     * @return true if it was still armed (the response was not committed through the gate)
     */
    boolean disarm() {
        return armed.getAndSet(null) != null;
    }

    @Override
    public void action(ActionCode code, Object param) {
        if ((code == ActionCode.COMMIT || code == ActionCode.CLOSE || code == ActionCode.CLIENT_FLUSH)
                && !response.isCommitted()) {
            Runnable task = armed.getAndSet(null);
            if (task != null) {
                task.run();
            }
        }
        processor.action(code, param);
    }

    private static VarHandle hookHandle() {
        try {
            return MethodHandles.privateLookupIn(Response.class, MethodHandles.lookup())
                    .findVarHandle(Response.class, "hook", ActionHook.class);
        } catch (ReflectiveOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
