package org.sessiongrid.tomcat;

/** Where a commit ({@link Commits#commit}) stands in its request. */
enum CommitStage {
    /** The request's only commit (its response is still open), or a commit outside any request. */
    WHOLE,
    /**
     * At the response's commit point while the application still runs: the mutable attributes
     * read so far are compared again at the request's end, since they may still change in place.
     */
    BEFORE_RESPONSE,
    /** At the end of a request whose commit point has passed: only real changes are sent. */
    LATE
}
