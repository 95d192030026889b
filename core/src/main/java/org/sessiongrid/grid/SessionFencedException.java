package org.sessiongrid.grid;

/**
 * A commit refused because its request read the session before a failover that its member did not take
 * part in (the member was paused, for example by a long GC or SIGSTOP, or cut off, and expelled meanwhile),
 * and the cluster has since changed what the commit writes: an attribute or the metadata an update sets, or,
 * for an invalidation or an id change, anything of the session. Applying it would silently put back values
 * older than ones the cluster acknowledged to the user, or end the session the user went on using elsewhere
 * (a zombie write). Nothing was applied; the caller's copy is stale: the request must fail, and the next one
 * reads the session again.
 */
public class SessionFencedException extends GridException {
    public SessionFencedException(String message) {
        super(message);
    }
}
