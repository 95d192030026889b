package org.sessiongrid.jetty.lock;

import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.server.Handler;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The former name of {@link SessionGridRequestHandler}, which does the same: Jetty XML and embedded
 * code written for it keep working for this release, with a WARN at start naming the new class.
 *
 * @deprecated use {@link SessionGridRequestHandler}; this name goes in the next release
 */
@Deprecated(forRemoval = true)
public class SessionGridLockingHandler extends SessionGridRequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(SessionGridLockingHandler.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    public SessionGridLockingHandler() {
    }

    public SessionGridLockingHandler(Handler handler) {
        super(handler);
    }

    @Override
    protected void doStart() throws Exception {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("org.sessiongrid.jetty.lock.SessionGridLockingHandler is the old name of"
                    + " org.sessiongrid.jetty.request.SessionGridRequestHandler and goes in the next release:"
                    + " name the new class in your Jetty XML or code");
        }
        super.doStart();
    }
}
