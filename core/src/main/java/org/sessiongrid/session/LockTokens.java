package org.sessiongrid.session;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Lock tokens name the member holding a session lock, so that any primary can tell whether the
 * holder is still alive: {@code <member id>/<random>}.
 */
public final class LockTokens {

    private LockTokens() {
    }

    public static String newToken(String memberId) {
        return memberId + "/" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    public static String memberId(String token) {
        int slash = token.lastIndexOf('/');
        return slash < 0 ? token : token.substring(0, slash);
    }
}
