package org.sessiongrid.suspicion;

import org.sessiongrid.placement.Member;

/** Told of a member that left a request unanswered for longer than {@code backupTimeout}. */
@FunctionalInterface
public interface Suspector {

    /** Suspects nobody: for a part built without a cluster (tests). */
    Suspector NONE = (member, why) -> { };

    /**
     * Suspects {@code member}; returns at once (the verification runs in JGroups).
     *
     * @param why what it did not answer, for the log line ("no answer to a replicate within backupTimeout=1000ms")
     */
    void suspect(Member member, String why);

    /**
     * How much longer {@code member} is known to be alive and waiting for another member, which it suspects
     * itself: a caller waiting for it then waits on rather than suspecting it second-hand.
     *
     * @return nanoseconds, 0 if nothing is known (always, by default)
     */
    default long waitsForAnotherNanos(Member member) {
        return 0;
    }
}
