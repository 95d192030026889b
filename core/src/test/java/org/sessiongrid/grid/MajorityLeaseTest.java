package org.sessiongrid.grid;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.jgroups.protocols.DISCARD;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * The majority lease under {@code partitionPolicy=minority-refuses-writes}: a member on the minority side of a cut
 * that only reads (it sends nothing across the cut, so neither its writes nor failure detection, 10 s here, tell it
 * of the cut) stops answering before the majority can have written what it holds. Five members, a session whose
 * primary is on the minority; the farm idles for several leases first (heartbeats alone keep the lease); after the
 * cut the majority writes the session through a promoted backup, and a read through the old primary, made after
 * that write was acknowledged, must not answer the old value. (That the majority's writes survive the merge is
 * {@link MinorityPartitionTest}'s.)
 */
class MajorityLeaseTest {

    private static final String NS = SilentMemberTest.NS;
    private static final long BACKUP_TIMEOUT_MILLIS = 500;
    private static final long VERIFY_MILLIS = 500;

    @Test
    void aMinorityMemberThatOnlyReadsStopsAnsweringBeforeTheMajorityWritesWhatItHolds() throws Exception {
        try (TestCluster c = SilentMemberTest.cluster("lease", BACKUP_TIMEOUT_MILLIS, VERIFY_MILLIS,
                PartitionPolicy.MINORITY_REFUSES_WRITES).start(5)) {
            List<SessionGrid> minority = c.members.subList(0, 2);
            List<SessionGrid> majority = c.members.subList(2, 5);
            SessionGrid holder = minority.get(1);
            String id = SilentMemberTest.sessions(holder, 1, o -> holder.memberName().equals(o.primary())).get(0);
            holder.store(NS).commit(id, SessionDelta.builder().set("v", CatchUpTest.utf8("before")).build(), null);

            // Idle for four leases (750 ms each): the failure detector's heartbeats alone keep every lease.
            Thread.sleep(4 * (BACKUP_TIMEOUT_MILLIS + VERIFY_MILLIS / 2)); // the idle time is what is tested
            for (SessionGrid g : c.members) {
                assertEquals(Optional.empty(), g.refusal(), g.memberName() + " serves in an idle farm");
            }
            assertEquals("before", value(holder.store(NS).find(id, null)));

            List<DISCARD> cut = PartitionTest.split(minority, majority);
            try {
                SessionStore writer = majority.get(0).store(NS);
                commitWithin(writer, id, "after", Duration.ofSeconds(20));
                GridUnavailableException refused = null;
                SessionRecord read = null;
                try {
                    read = holder.store(NS).find(id, null);
                } catch (GridUnavailableException e) {
                    refused = e;
                }
                assertTrue(refused != null, "a read through the session's old primary on the minority, after the"
                        + " majority acknowledged a newer value, answered " + (read == null ? "no session" : value(read)));
                assertTrue(refused.getMessage().contains("majority lease"), refused.getMessage());
            } finally {
                PartitionTest.heal(cut);
            }
        }
    }

    /** Commits {@code v} through {@code store}, retrying while the majority excludes the other side. */
    private static void commitWithin(SessionStore store, String id, String v, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                store.commit(id, SessionDelta.builder().set("v", CatchUpTest.utf8(v)).build(), null);
                return;
            } catch (GridException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    private static String value(SessionRecord r) {
        return r == null ? null : new String(r.attribute("v"), UTF_8);
    }
}
