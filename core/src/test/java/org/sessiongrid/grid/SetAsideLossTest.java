package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jgroups.protocols.DISCARD;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * Under {@code serve-both-sides} a member cut off from the others serves its sessions, and the merge that ends the
 * cut keeps its writes where they are newer ({@link PartitionTest}). The same member with its clock showing a pause
 * when the cut ends sets its copies aside and rejoins without data instead, and its writes must survive that too:
 * nobody else ever held them. Its catch-up returns the kept copies newer than the others' to their primaries, which
 * keep them by the merge rule ({@code GridMessage.ReturnCopies}); without that every session read 1 on every member.
 */
class SetAsideLossTest {

    private static final String NS = "localhost/setaside";

    private static SessionRecord read(SessionGrid g, String id) {
        return g.store(NS).find(id, null);
    }

    private static boolean aloneInItsTopology(SessionGrid g) {
        return g.members().equals(List.of(g.memberName())) && g.topology() != null
                && g.topology().members().size() == 1;
    }

    @Test
    void aCutOffMembersWritesSurviveItsPauseAndRejoin() {
        cutOffWritesThenHeal();
    }

    /**
     * A, B and C hold 10 sessions at value 1; C is cut off until each side has excluded the other, C (alone, serving
     * as {@code serve-both-sides} lets it) writes value 2 into every session, and the cut ends with C's clock showing
     * the time it was cut off as a pause. Once the farm is whole again, every session reads 2 on every member.
     */
    private static void cutOffWritesThenHeal() {
        try (TestCluster c = new TestCluster("setasidepause", b -> b.remoteTimeout(2_000))
                .start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid cut = c.members.get(2);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
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
                    () -> !a.members().contains(cut.memberName()) && a.isStable() && aloneInItsTopology(cut),
                    () -> "A " + a.members() + ", C " + cut.members() + " topology " + cut.topology());
            for (String id : ids) {
                cut.store(NS).commit(id, SessionDelta.builder().set("v", new byte[] {2}).build(), read(cut, id));
            }

            cut.node().simulatePause((System.nanoTime() - cutAt) / 1_000_000);
            discard.discardAll(false);
            Await.until("the farm is whole again", Duration.ofSeconds(90),
                    () -> c.members.stream().allMatch(g -> g.members().size() == 3 && g.isStable()
                            && g.refusal().isEmpty()),
                    () -> "A " + a.members() + ", C " + cut.members() + " " + cut.refusal());
            c.awaitStable();
            List<String> lost = new ArrayList<>();
            for (String id : ids) {
                for (SessionGrid g : c.members) {
                    SessionRecord r = read(g, id);
                    if (r == null || r.attribute("v")[0] != 2) {
                        lost.add(id + " on " + g.memberName() + ": " + (r == null ? "none" : r.attribute("v")[0]));
                    }
                }
            }
            assertEquals(List.of(), lost, "sessions that lost C's acknowledged write");
        }
    }
}
