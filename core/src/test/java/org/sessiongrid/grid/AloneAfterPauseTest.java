package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jgroups.protocols.DISCARD;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A member whose topology names it alone after a pause serves on with its copies only if it was alone before the
 * pause began. One cut off or frozen long enough to drop every other member from its view and install a topology
 * of itself alone did not stay alone: the others dropped it too and wrote its sessions meanwhile. When its traffic
 * flows again and its clock shows the pause, its copies are stale, and "alone" must not be read as "nobody served
 * my sessions". A member left alone by others that really are gone must still serve again.
 */
class AloneAfterPauseTest {

    private static final String NS = "localhost/alone";

    private static SessionRecord read(SessionGrid g, String id) {
        return g.store(NS).find(id, null);
    }

    private static boolean aloneInItsTopology(SessionGrid g) {
        return g.members().equals(List.of(g.memberName())) && g.topology() != null
                && g.topology().members().size() == 1;
    }

    /**
     * C is cut off (all its traffic dropped) until it has excluded A and B and installed a topology of itself alone,
     * and A and B have excluded it; A then writes every session. C's cut ends with its clock showing the pause (as
     * SIGCONT after SIGSTOP would, with C's own failure detection having run meanwhile, as on a starved machine or a
     * cut). No read through C may answer a value from before A's writes. Without the rule C found itself alone and
     * answered every read from its old copies at once.
     */
    @Test
    void aMemberThatDroppedTheOthersDuringItsPauseNeverServesItsOldCopies() {
        try (TestCluster c = new TestCluster("droppedothers", b -> b.remoteTimeout(2_000)).start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid cut = c.members.get(2);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = UUID.randomUUID().toString();
                a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {1}).build());
                ids.add(id);
            }
            for (String id : ids) {
                assertEquals(1, read(cut, id).attribute("v")[0], "C holds the first value before the cut");
            }

            long cutAt = System.nanoTime();
            DISCARD discard = SilentMemberTest.silence(cut);
            Await.until("A and B excluded C, and C made itself alone", Duration.ofSeconds(30),
                    () -> !a.members().contains("C") && c.members.get(1).members().equals(a.members())
                            && a.isStable() && aloneInItsTopology(cut),
                    () -> "A " + a.members() + ", C " + cut.members() + " topology " + cut.topology());
            for (String id : ids) {
                a.store(NS).commit(id, SessionDelta.builder().set("v", new byte[] {2}).build(), read(a, id));
            }

            cut.node().simulatePause((System.nanoTime() - cutAt) / 1_000_000);
            discard.discardAll(false);
            long resumedAt = System.nanoTime();
            List<String> stale = new ArrayList<>();
            int[] staleReads = {0};
            Await.until("C was taken back and serves the values written while it was away", Duration.ofSeconds(60),
                    () -> {
                        boolean allNew = true;
                        for (String id : ids) {
                            try {
                                byte v = read(cut, id).attribute("v")[0];
                                if (v != 2) {
                                    allNew = false;
                                    staleReads[0]++;
                                }
                                if (v != 2 && stale.size() < 5) {
                                    stale.add(id + " read " + v + " " + (System.nanoTime() - resumedAt) / 1_000_000
                                            + " ms after C resumed (C " + cut.refusal().orElse("serving") + ", view "
                                            + cut.members() + ")");
                                }
                            } catch (GridUnavailableException held) {
                                allNew = false; // refusing is allowed while C finds out or rejoins
                            }
                        }
                        return allNew && cut.members().size() == 3;
                    }, () -> "C " + cut.members() + " " + cut.refusal() + ", " + staleReads[0] + " stale reads, first " + stale);
            assertEquals(0, staleReads[0], "reads through C answered from the copies it held before its pause: " + stale);
            c.awaitStable();
            GridAssertions.ownersComplete(c, 3);
        }
    }

    /**
     * B crashes, A excludes it and is the last member; right then A's clock shows a pause. A cannot tell whether B
     * is gone or cut off and serving: it holds its requests for as long as a member that can reach it would take to
     * merge with it, then serves on with its copies, the only ones there are. A member alone since before its pause
     * serves on at once.
     */
    @Test
    void theLastMemberPausedRightAfterTheOthersCrashedServesAgainWithItsCopies() throws Exception {
        try (TestCluster c = new TestCluster("lastmember", b -> b.remoteTimeout(2_000)).start(2)) {
            SessionGrid a = c.members.get(0);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {3}).build());
            c.halt(c.members.get(1));
            Await.until("A is alone in its topology", Duration.ofSeconds(30), () -> aloneInItsTopology(a));
            long topology = a.topologyId();

            a.node().simulatePause(2_000);
            Await.until("A holds its requests after a pause it became alone in", Duration.ofSeconds(5),
                    () -> a.refusal().isPresent());
            Await.until("A serves its copy again", Duration.ofSeconds(60), () -> {
                try {
                    return read(a, id).attribute("v")[0] == 3;
                } catch (GridUnavailableException held) {
                    return false;
                }
            });
            assertEquals(topology, a.topologyId(), "A rejoined although nobody else was there");

            a.node().simulatePause(2_000);
            assertEquals(3, read(a, id).attribute("v")[0], "read after a pause A was alone before");
            assertTrue(a.refusal().isEmpty(), "A alone before its pause: " + a.refusal());
        }
    }
}
