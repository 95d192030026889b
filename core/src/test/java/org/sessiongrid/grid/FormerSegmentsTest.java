package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sessiongrid.grid.CatchUpTest.utf8;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.jgroups.Address;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.stack.MembershipChangePolicy;
import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A member excluded for a silence gets its former segments back, and catches up on them, whichever member
 * coordinates when it returns (issue 17, item 4). The coordinator that excluded it remembers what it owned, but the
 * merge that takes it back picks the merged view's coordinator: here the returning member itself, as JGroups does
 * when its address sorts first (made certain by a merge policy that puts it first). That coordinator knew nothing of
 * what the member held, and the rebalance gave it any segments, some of them whole. Five members in one JVM, C
 * silenced as in {@link CatchUpTest}.
 */
class FormerSegmentsTest {

    private static final String NS = "localhost/former";
    private static final int SESSIONS = 400;
    private static final int CHANGED = 5;

    /** JGroups' own policy, except that a merged view names {@code first} first: it coordinates after the merge. */
    record FirstAfterMerge(Address first) implements MembershipChangePolicy {
        private static final GMS.DefaultMembershipPolicy DEFAULT = new GMS.DefaultMembershipPolicy();

        @Override
        public List<Address> getNewMembership(Collection<Address> current, Collection<Address> joiners,
                                              Collection<Address> leavers, Collection<Address> suspects) {
            return DEFAULT.getNewMembership(current, joiners, leavers, suspects);
        }

        @Override
        public List<Address> getNewMembership(Collection<Collection<Address>> subviews) {
            List<Address> merged = new ArrayList<>(DEFAULT.getNewMembership(subviews));
            if (merged.remove(first)) {
                merged.add(0, first);
            }
            return merged;
        }
    }

    @Test
    void aMemberBackThroughAMergeItCoordinatesGetsItsFormerSegmentsAndCatchesUpOnThem() {
        // Failure detection 3 s: C's view soon shows it alone, which makes the order below certain.
        try (TestCluster c = new TestCluster("former", b -> b.backupTimeout(500).remoteTimeout(3_000)
                .stackProperty("sessiongrid.failureDetectionTimeout", "3000")
                .stackProperty("sessiongrid.verifySuspectTimeout", "500")).start(5)) {
            SessionGrid a = c.members.get(0);
            SessionGrid away = c.members.get(2);
            Member me = away.node().self();
            Address address = away.node().transport().channel().getAddress();
            for (SessionGrid g : c.members) {
                GMS gms = g.node().transport().channel().getProtocolStack().findProtocol(GMS.class);
                gms.setMembershipChangePolicy(new FirstAfterMerge(address));
            }
            Map<String, String> expected = new HashMap<>();
            List<String> ids = CatchUpTest.createSessions(a, NS, SESSIONS, expected);
            BitSet former = away.topology().current().segmentsOwnedBy(me);
            long transferredBefore = away.metrics().getRecordsTransferred();
            long keptBefore = away.metrics().getRecordsKeptByCatchUps();

            // C stops (silenced, its clock showing a pause longer than failure detection): it sets its copies aside
            // at once, while its topology still names the five of them.
            DISCARD silence = SilentMemberTest.silence(away);
            away.node().simulatePause(4_000);
            Await.until("C set its copies aside to rejoin", Duration.ofSeconds(30), () -> away.node().isRejoining());

            // The others exclude it (a write waits for it) and serve on; some sessions change meanwhile.
            String trigger = ids.get(SESSIONS - 1);
            expected.remove(trigger);
            CompletableFuture.runAsync(() -> a.store(NS).commit(trigger, SessionDelta.builder().set("v", utf8("x"))
                    .build(), a.store(NS).find(trigger, null)));
            Await.until("C is excluded", Duration.ofSeconds(20),
                    () -> !a.members().contains(away.memberName()) && a.isStable());
            for (int i = 0; i < CHANGED; i++) {
                String id = ids.get(i);
                a.store(NS).commit(id, SessionDelta.builder().set("v", utf8("changed" + i)).build(),
                        a.store(NS).find(id, null));
                expected.put(id, "changed" + i);
            }

            // C's view shows it alone; heard again, it is taken back by a merge whose view names it first: it
            // coordinates, and its join goes to itself.
            Await.until("C's view shows it alone", Duration.ofSeconds(20), () -> away.members().size() == 1);
            silence.discardAll(false);
            Await.until("C rejoined", Duration.ofSeconds(60), () -> !away.node().isRejoining()
                    && away.members().size() == 5 && away.topologyId() > 0);
            c.awaitStable();
            assertTrue(away.isCoordinator(), "C coordinates after the merge: " + away.members());

            // Of the segments C owns now that hold sessions (the others cost nothing either way), those it held before.
            BitSet now = away.topology().current().segmentsOwnedBy(me);
            int share = 0;
            int formerShare = 0;
            for (int s = now.nextSetBit(0); s >= 0; s = now.nextSetBit(s + 1)) {
                if (away.node().records().size(s) > 0) {
                    share++;
                    formerShare += former.get(s) ? 1 : 0;
                }
            }
            long transferred = away.metrics().getRecordsTransferred() - transferredBefore;
            long kept = away.metrics().getRecordsKeptByCatchUps() - keptBefore;
            assertTrue(formerShare >= share * 0.98, "C got back " + formerShare + " of the " + share
                    + " segments with sessions it owns now (received " + transferred + " records, took back " + kept
                    + " kept copies)");
            // What changed while it was away, with room for writes it received while rejoining; its share is about
            // 240 records, of which 40 to 65 came whole when it was given any segments.
            assertTrue(transferred <= 15, "C received " + transferred + " records; took back " + kept + " kept copies");
            assertTrue(kept >= away.recordsHeld() * 9 / 10, "kept copies taken back: " + kept + " of the "
                    + away.recordsHeld() + " records C holds");
            expected.forEach((id, value) -> {
                SessionRecord read = away.store(NS).find(id, null);
                assertEquals(value, read == null ? null : new String(read.attribute("v"), StandardCharsets.UTF_8),
                        "read through C of " + id);
            });
            GridAssertions.ownersComplete(c, 3);
        }
    }

    /**
     * A coordinator of a version without rejoin requests answers one as malformed; the member then joins with a
     * plain join request (and is given any segments, as before). Two members; B's clock shows a pause longer than
     * failure detection, so it sets its copies aside and rejoins at once, through A, which still counts it.
     */
    @Test
    void aCoordinatorThatCannotReadARejoinRequestIsAskedWithAPlainJoin() {
        try (TestCluster c = new TestCluster("formerold").start(2)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            for (int i = 0; i < 20; i++) {
                a.store(NS).create(UUID.randomUUID().toString(), SessionDelta.builder().set("v", utf8("v" + i)).build());
            }
            OlderPeer.under(a, 27);
            long before = b.topologyId();

            b.node().simulatePause(4_000);
            Await.until("B rejoined", Duration.ofSeconds(30), () -> !b.node().isRejoining() && b.topologyId() > before);
            c.awaitStable();

            assertEquals(1L, b.metrics().getMessagesSentByType().getOrDefault("RejoinRequest", 0L), "rejoin requests");
            assertEquals(1L, a.metrics().getMessagesReceivedByType().getOrDefault("malformed", 0L), "A's malformed");
            assertTrue(b.metrics().getMessagesSentByType().getOrDefault("JoinRequest", 0L) >= 2, "B's join requests: "
                    + b.metrics().getMessagesSentByType());
            assertEquals(20, b.recordsHeld(), "B holds every session again");
        }
    }
}
