package org.sessiongrid.jetty.request;

/**
 * The session this thread last failed to produce because the grid did not answer, outside a request
 * scope of {@link SessionGridRequestHandler} (a request scope answers 503 instead): the SessionGrid
 * cache then says the id exists and refuses a new session under it, so that the same caller does not
 * make a new, empty session under the user's id. It lasts until a new session under the id is refused,
 * the id is produced after all, or a request the handler handles starts or ends on this thread: a
 * pooled thread's next request never sees it.
 */
public final class UnavailableSession {

    private static final ThreadLocal<String> ID = new ThreadLocal<>();

    private UnavailableSession() {
    }

    /** Remembers that this thread could not produce session {@code id}. */
    public static void remember(String id) {
        ID.set(id);
    }

    /** True if this thread could not produce session {@code id} and still remembers it. */
    public static boolean is(String id) {
        return id != null && id.equals(ID.get());
    }

    /**
     * Forgets session {@code id} if it is the one remembered.
     *
     * @return true if it was
     */
    public static boolean forget(String id) {
        if (is(id)) {
            ID.remove();
            return true;
        }
        return false;
    }

    /** Forgets whatever this thread remembers: a request starts or ends on it. */
    static void forgetAll() {
        ID.remove();
    }
}
