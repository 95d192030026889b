package org.sessiongrid.it.load;

/**
 * One request of the history.
 *
 * @param user the user (one browser, one cookie)
 * @param seq the user's request number (a user's requests never overlap)
 * @param kind what the request did
 * @param node the node it was sent to
 * @param outcome OK, or how it failed
 * @param status HTTP status, 0 without an answer
 * @param counter the counter the answer carried (-1 without one, 0 for "no session" on a read)
 * @param sessionId the session id (without route) the answer carried, or null
 * @param sentSessionId the session id (without route) the request's cookie carried, or null
 * @param start start time, ms since the history's origin
 * @param end end time, ms since the history's origin
 * @param replayed the answer said the session had already applied this very request (its id, which the
 *                 load client sends with {@link LoadClient#identifyRequests()}): a second run of one request,
 *                 which the load client never sends, so something between it and the grid did
 * @param earlier the ids of the last requests the session had applied before this one, newest first, as the
 *                answer listed them (empty when it lists none): which request made an increment the user
 *                never saw acknowledged
 */
public record Op(int user, long seq, Kind kind, String node, Outcome outcome, int status, long counter,
                 String sessionId, String sentSessionId, long start, long end, boolean replayed,
                 java.util.List<String> earlier) {

    public Op {
        earlier = java.util.List.copyOf(earlier);
    }

    /** A request whose answer lists no earlier requests. */
    public Op(int user, long seq, Kind kind, String node, Outcome outcome, int status, long counter,
              String sessionId, String sentSessionId, long start, long end, boolean replayed) {
        this(user, seq, kind, node, outcome, status, counter, sessionId, sentSessionId, start, end, replayed,
                java.util.List.of());
    }

    /** A request whose answer does not say it was a replay. */
    public Op(int user, long seq, Kind kind, String node, Outcome outcome, int status, long counter,
              String sessionId, String sentSessionId, long start, long end) {
        this(user, seq, kind, node, outcome, status, counter, sessionId, sentSessionId, start, end, false);
    }

    /** This request's id as the load client sends it ({@code <user>-<seq>}). */
    public String requestId() {
        return user + "-" + seq;
    }

    /** What a request did. */
    public enum Kind {
        /** counter += 1 (creates the session without a cookie). */
        INC,
        /** reads the counter, changes nothing (convergence checks). */
        READ,
        /** invalidates the session. */
        INVALIDATE,
        /** a read with the cookie of a session the user invalidated: must find no session. */
        PROBE
    }

    /** How a request ended. */
    public enum Outcome {
        OK,
        /** an HTTP error status (the node answered). */
        HTTP_ERROR,
        /** no answer within the client's timeout. */
        TIMEOUT,
        /** connection refused or reset. */
        IO_ERROR;
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }

    public long latency() {
        return end - start;
    }
}
