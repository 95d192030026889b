package org.sessiongrid.grid;

/**
 * The adapter-level locking settings, {@code lockingMode} and {@code lockTimeout}, parsed once here
 * so that the Tomcat manager and the Jetty store accept and reject exactly the same values.
 *
 * @param mode        which requests hold their session's lock
 * @param lockTimeout milliseconds a request waits for the lock before failing
 */
public record RequestLocking(LockingMode mode, long lockTimeout) {

    /** Default {@code lockTimeout}: long enough for a slow request to finish, short enough to fail visibly. */
    public static final long DEFAULT_LOCK_TIMEOUT = 10_000;

    public static final RequestLocking NONE = new RequestLocking(LockingMode.NONE, DEFAULT_LOCK_TIMEOUT);

    /**
     * @param mode    the {@code lockingMode} text, or null for {@code none}
     * @param timeout the {@code lockTimeout} text in milliseconds, or null for the default
     * @throws IllegalArgumentException naming the setting, the value and what is accepted
     */
    public static RequestLocking parse(String mode, String timeout) {
        LockingMode m = mode == null || mode.isBlank() ? LockingMode.NONE : LockingMode.parse(mode);
        long t = DEFAULT_LOCK_TIMEOUT;
        if (timeout != null && !timeout.isBlank()) {
            try {
                t = Long.parseLong(timeout.trim());
            } catch (NumberFormatException e) {
                t = -1;
            }
            if (t <= 0) {
                throw new IllegalArgumentException("SessionGrid setting lockTimeout=\"" + timeout
                        + "\" is invalid: expected a positive number of milliseconds (default " + DEFAULT_LOCK_TIMEOUT
                        + ")");
            }
        }
        return new RequestLocking(m, t);
    }
}
