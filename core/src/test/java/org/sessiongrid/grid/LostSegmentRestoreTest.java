package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sessiongrid.grid.CatchUpTest.utf8;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.jgroups.Address;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.pbcast.GMS;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A member excluded by the view while it alone owned segments gets them back when it joins again (issue 17; see
 * design.md, "The rejoin of a segment's only owner"). The coordinator that removed it remembers the segments it took
 * with it, its rejoin's answer names those it kept copies of, and it pushes those copies to the segments' primaries,
 * which add each only where the key is still unknown. Two members with {@code numOwners=1}: B stops (silenced, its
 * clock showing the pause), A excludes it and its segments restart empty on A, a session is created again under one
 * of B's ids meanwhile; B is heard again, sets its copies aside and joins through A, which coordinates after the
 * merge (a merge policy that names it first, as {@link FormerSegmentsTest} does for the returning member). With
 * {@code numOwners=3} every segment keeps an owner, and the member pushes nothing.
 */
class LostSegmentRestoreTest {

    private static final String NS = "localhost/lostseg";

    private static TestCluster cluster(String name, int owners) {
        return new TestCluster(name, b -> b.numOwners(owners).backupTimeout(500).remoteTimeout(3_000)
                .stackProperty("sessiongrid.failureDetectionTimeout", "3000")
                .stackProperty("sessiongrid.verifySuspectTimeout", "500"));
    }

    /** Every member's merges name {@code first} first: it coordinates after the silenced member is heard again. */
    static void coordinatesAfterMerge(TestCluster c, SessionGrid first) {
        Address address = first.node().transport().channel().getAddress();
        for (SessionGrid g : c.members) {
            GMS gms = g.node().transport().channel().getProtocolStack().findProtocol(GMS.class);
            gms.setMembershipChangePolicy(new FormerSegmentsTest.FirstAfterMerge(address));
        }
    }

    /** Silences {@code away} with its clock showing a pause, waits until the others excluded it and it is alone. */
    private static DISCARD stopUntilExcluded(TestCluster c, SessionGrid away) {
        DISCARD silence = SilentMemberTest.silence(away);
        away.node().simulatePause(4_000);
        Await.until(away.memberName() + " set its copies aside to rejoin", Duration.ofSeconds(30),
                () -> away.node().isRejoining());
        Await.until(away.memberName() + " is excluded and alone", Duration.ofSeconds(30),
                () -> c.members.stream().filter(g -> g != away).allMatch(g -> !g.members().contains(away.memberName())
                        && g.isStable()) && away.members().size() == 1);
        return silence;
    }

    private static void heardAgain(TestCluster c, SessionGrid away, DISCARD silence) {
        silence.discardAll(false);
        Await.until(away.memberName() + " rejoined", Duration.ofSeconds(60), () -> !away.node().isRejoining()
                && away.members().size() == c.members.size() && away.topologyId() > 0);
        c.awaitStable();
    }

    @Test
    void theOnlyOwnerExcludedByTheViewPushesItsKeptCopiesBackAndWhatWasCreatedAgainStays() {
        try (TestCluster c = cluster("lostseg", 1).start(2)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            assertTrue(a.isCoordinator());
            coordinatesAfterMerge(c, a);

            // Sessions on both members, each changed once: the change is the last acknowledged value.
            Map<String, String> expected = new LinkedHashMap<>();
            Map<String, String> ofB = new LinkedHashMap<>();
            for (int i = 0; ofB.size() < 20; i++) {
                String id = UUID.randomUUID().toString();
                SessionGrid via = i % 2 == 0 ? a : b;
                SessionRecord r = via.store(NS).create(id, SessionDelta.builder().set("v", utf8("first" + i)).build());
                via.store(NS).commit(id, SessionDelta.builder().set("v", utf8("last" + i)).build(), r);
                expected.put(id, "last" + i);
                if (b.memberName().equals(a.store(NS).owners(id).primary())) {
                    ofB.put(id, "last" + i);
                }
            }

            DISCARD silence = stopUntilExcluded(c, b);
            assertTrue(a.metrics().getLostSegments() > 0, "B's segments were lost with it");
            String again = ofB.keySet().iterator().next();
            assertNull(a.store(NS).find(again, null), "a session of B is unknown while B is away");
            a.store(NS).create(again, SessionDelta.builder().set("v", utf8("created again")).build());
            expected.put(again, "created again");
            String fresh = UUID.randomUUID().toString();
            a.store(NS).create(fresh, SessionDelta.builder().set("v", utf8("fresh")).build());
            expected.put(fresh, "fresh");

            heardAgain(c, b, silence);
            assertTrue(a.isCoordinator(), "A coordinates after the merge: " + a.members());
            Await.until("every session B held reads through A again", Duration.ofSeconds(30),
                    () -> ofB.keySet().stream().allMatch(id -> a.store(NS).find(id, null) != null),
                    () -> ofB.keySet().stream().filter(id -> a.store(NS).find(id, null) == null).count() + " of "
                            + ofB.size() + " unknown; restored " + b.metrics().getRestoredLostRecords());
            c.awaitStable();

            assertEquals(ofB.size() - 1, b.metrics().getRestoredLostRecords(), "sessions restored (the one created"
                    + " again was known)");
            expected.forEach((id, value) -> {
                for (SessionGrid via : c.members) {
                    SessionRecord read = via.store(NS).find(id, null);
                    assertNotNull(read, "session " + id + " read through " + via.memberName()
                            + (ofB.containsKey(id) ? " (B's, lost with it)" : ""));
                    assertEquals(value, new String(read.attribute("v"), StandardCharsets.UTF_8),
                            "session " + id + " read through " + via.memberName());
                }
            });
            // A restored session goes on as any other.
            String restored = ofB.keySet().stream().filter(id -> !id.equals(again)).findFirst().orElseThrow();
            a.store(NS).commit(restored, SessionDelta.builder().set("v", utf8("after")).build(), a.store(NS).find(restored, null));
            assertEquals("after", new String(b.store(NS).find(restored, null).attribute("v"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aMemberExcludedWithoutTakingASegmentWithItPushesNothing() {
        try (TestCluster c = cluster("lostnone", 3).start(3)) {
            SessionGrid a = c.members.get(0);
            SessionGrid away = c.members.get(2);
            coordinatesAfterMerge(c, a);
            Map<String, String> expected = new LinkedHashMap<>();
            CatchUpTest.createSessions(a, NS, 30, expected);

            DISCARD silence = stopUntilExcluded(c, away);
            assertEquals(0, a.metrics().getLostSegments(), "segments lost");
            heardAgain(c, away, silence);

            assertTrue(away.metrics().getMessagesReceivedByType().getOrDefault("RejoinReply", 0L) >= 1,
                    "its rejoin was answered by A: " + away.metrics().getMessagesReceivedByType());
            assertEquals(0L, away.metrics().getMessagesSentByType().getOrDefault("RestoreRecords", 0L), "pushes");
            assertEquals(0, away.metrics().getRestoredLostRecords(), "sessions restored");
            expected.forEach((id, value) -> {
                SessionRecord read = away.store(NS).find(id, null);
                assertEquals(value, read == null ? null : new String(read.attribute("v"), StandardCharsets.UTF_8), id);
            });
        }
    }
}
