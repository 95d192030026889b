package org.sessiongrid.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.Test;

/** The lease's length, the heartbeats it needs, and where its protocol goes. */
class MajorityLeaseInstallTest {

    @Test
    void theLeaseEndsHalfAVerificationBeforeTheOtherSideCanExcludeThisMember() {
        assertEquals(1_500, MajorityLease.leaseMillis(1_000, 10_000, 1_000), "the shipped settings");
        assertEquals(500, MajorityLease.leaseMillis(300, 10_000, 400), "the fault matrix's settings");
        assertEquals(1_100, MajorityLease.leaseMillis(1_000, 600, 1_000), "failure detection sooner than backupTimeout");
        assertEquals(1_000, MajorityLease.leaseMillis(1_000, 10_000, 0), "no verification");
    }

    @Test
    void heartbeatsComeFourTimesPerLeaseAndTheNotesAreTakenRightBelowTheFailureDetector() throws Exception {
        FD_ALL3 detector = new FD_ALL3().setTimeout(10_000).setInterval(2_000);
        try (JChannel ch = new JChannel(new SHARED_LOOPBACK(), detector, new VERIFY_SUSPECT2().setTimeout(1_000))) {
            MajorityLease lease = MajorityLease.install(ch, 1_000);
            assertEquals(1_500, lease.leaseMillis());
            assertEquals(375, detector.getInterval(), "the detector's heartbeat interval");
            assertEquals(375, lease.heartbeatMillis());
            Protocol below = detector.getDownProtocol();
            assertTrue(below instanceof HeardFrom, "below the detector: " + below);
            assertSame(ch.getProtocolStack().getTransport(), below.getDownProtocol());
        }
    }

    @Test
    void aShorterHeartbeatIntervalIsKept() throws Exception {
        FD_ALL3 detector = new FD_ALL3().setTimeout(10_000).setInterval(200);
        try (JChannel ch = new JChannel(new SHARED_LOOPBACK(), detector, new VERIFY_SUSPECT2().setTimeout(1_000))) {
            assertEquals(200, MajorityLease.install(ch, 1_000).heartbeatMillis());
            assertEquals(200, detector.getInterval());
        }
    }

    @Test
    void aStackWithoutAHeartbeatDetectorIsRefusedNamingTheFix() throws Exception {
        try (JChannel ch = new JChannel(new SHARED_LOOPBACK(), new VERIFY_SUSPECT2())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> MajorityLease.install(ch, 1_000));
            assertTrue(e.getMessage().contains("FD_ALL3") && e.getMessage().contains("serve-both-sides"), e.getMessage());
        }
    }

    @Test
    void aMemberNotInTheViewWasNeverHeardFrom() {
        assertEquals(Long.MAX_VALUE, new HeardFrom().nanosSince(null));
    }
}
