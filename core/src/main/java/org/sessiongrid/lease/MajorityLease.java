package org.sessiongrid.lease;

import java.util.concurrent.TimeUnit;

import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.protocols.FailureDetection;
import org.jgroups.protocols.VERIFY_SUSPECT;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;

/**
 * How long a member may go on serving after it last heard from another member, under
 * {@code partitionPolicy=minority-refuses-writes}.
 *
 * <p>The other side of a cut excludes this member at the earliest when a write waiting for it has waited
 * {@code backupTimeout} (or the failure detector's timeout, if shorter) and the suspicion was verified
 * ({@code verifySuspectTimeout}); only then can it promote a backup and write what this member would still
 * read. So the lease is {@code min(backupTimeout, failureDetectionTimeout) + verifySuspectTimeout / 2}: half
 * a verification of margin for messages in flight at the cut. Both sides measure from their own clock; no
 * clocks are compared. The failure detector's heartbeats must come several times per lease, so its interval
 * is shortened to a quarter of the lease when it is longer (a few small messages per second per member).
 *
 * <p>Immutable once installed.
 */
public final class MajorityLease {

    private final HeardFrom heard;
    private final long leaseMillis;
    private final long heartbeatMillis;

    private MajorityLease(HeardFrom heard, long leaseMillis, long heartbeatMillis) {
        this.heard = heard;
        this.leaseMillis = leaseMillis;
        this.heartbeatMillis = heartbeatMillis;
    }

    /**
     * Puts {@link HeardFrom} below {@code channel}'s failure detector and shortens the detector's heartbeat
     * interval to a quarter of the lease; call before the channel connects.
     *
     * @throws IllegalStateException if the stack has no heartbeat failure detector (FD_ALL3), whose
     *         heartbeats are what keeps the lease alive while no request flows
     */
    public static MajorityLease install(JChannel channel, long backupTimeoutMillis) throws Exception {
        ProtocolStack stack = channel.getProtocolStack();
        FailureDetection detector = stack.findProtocol(FailureDetection.class);
        if (detector == null) {
            throw new IllegalStateException("partitionPolicy=minority-refuses-writes needs a heartbeat failure detector"
                    + " in the JGroups stack (FD_ALL3, as every shipped stack has): its heartbeats keep a member's"
                    + " majority lease alive while no request flows; add <FD_ALL3/> to the stack or use"
                    + " partitionPolicy=serve-both-sides");
        }
        Protocol verifier = stack.findProtocol(VERIFY_SUSPECT2.class, VERIFY_SUSPECT.class);
        long verify = verifier instanceof VERIFY_SUSPECT2 v2 ? v2.getTimeout()
                : verifier instanceof VERIFY_SUSPECT v1 ? v1.getTimeout() : 0;
        long lease = leaseMillis(backupTimeoutMillis, detector.getTimeout(), verify);
        long heartbeat = Math.max(10, lease / 4);
        if (detector.getInterval() > heartbeat) {
            detector.setInterval(heartbeat);
        }
        HeardFrom heardFrom = new HeardFrom();
        heardFrom.setProtocolStack(stack);
        stack.insertProtocolInStack(heardFrom, detector, ProtocolStack.Position.BELOW);
        return new MajorityLease(heardFrom, lease, detector.getInterval());
    }

    /** The lease for these timeouts (ms): see the class comment. */
    static long leaseMillis(long backupTimeout, long failureDetectionTimeout, long verifySuspectTimeout) {
        return Math.min(backupTimeout, failureDetectionTimeout) + verifySuspectTimeout / 2;
    }

    /** True if this member heard from {@code member} within the lease. */
    public boolean holds(Address member) {
        return heard.nanosSince(member) <= TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    }

    /** The lease, in milliseconds. */
    public long leaseMillis() {
        return leaseMillis;
    }

    /** The failure detector's heartbeat interval, in milliseconds, as the lease left it. */
    public long heartbeatMillis() {
        return heartbeatMillis;
    }
}
