package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;
import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;

/**
 * A 5-member cluster split 2|3 by dropping messages between the sides, then healed (MERGE3). Under
 * {@code partitionPolicy=minority-refuses-writes}: {@link MinorityPartitionTest}.
 */
class PartitionTest {

    private static final String NS = "localhost/partition";

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(SessionRecord r, String attr) {
        byte[] b = r.attribute(attr);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Cuts every link between the two sides: each member drops whatever comes from the other side. */
    static List<DISCARD> split(List<SessionGrid> left, List<SessionGrid> right) throws Exception {
        List<DISCARD> discards = new ArrayList<>();
        for (SessionGrid g : left) {
            discards.add(ignore(g, right));
        }
        for (SessionGrid g : right) {
            discards.add(ignore(g, left));
        }
        return discards;
    }

    private static DISCARD ignore(SessionGrid g, List<SessionGrid> others) throws Exception {
        JChannel ch = g.node().transport().channel();
        DISCARD d = new DISCARD();
        d.setAddress(ch.getAddress());
        ch.getProtocolStack().insertProtocol(d, ProtocolStack.Position.ABOVE, TP.class);
        for (SessionGrid o : others) {
            Address a = o.node().transport().channel().getAddress();
            d.addIgnoreMember(a);
        }
        return d;
    }

    static void heal(List<DISCARD> discards) {
        discards.forEach(DISCARD::resetIgnoredMembers);
    }

    static void awaitView(List<SessionGrid> side) {
        Await.until("each member of " + side.stream().map(SessionGrid::memberName).toList() + " sees only its side",
                Duration.ofSeconds(30), () -> side.stream().allMatch(g -> g.members().size() == side.size()));
    }

    @Test
    void bothSidesServeDuringASplitAndConvergeAfterTheMerge() throws Exception {
        try (TestCluster c = new TestCluster("split").start(5)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = newId();
                c.members.get(i % 5).store(NS).create(id, SessionDelta.builder().set("v", utf8("before")).build());
                ids.add(id);
            }
            List<SessionGrid> left = c.members.subList(0, 2);
            List<SessionGrid> right = c.members.subList(2, 5);
            // The session invalidated on the left must have a copy there: a session whose every owner is on the
            // right is missing on the left (its segment is reassigned empty), so the left cannot invalidate it
            // and the merge rightly brings the right side's copy back.
            List<String> leftNames = left.stream().map(SessionGrid::memberName).toList();
            String invalidated = ids.stream().filter(id -> {
                SessionOwners o = c.members.get(0).store(NS).owners(id);
                return leftNames.contains(o.primary()) || o.backups().stream().anyMatch(leftNames::contains);
            }).findFirst().orElseThrow();
            List<DISCARD> cut = split(left, right);
            awaitView(left);
            awaitView(right);

            // Both sides serve: every session is written on both sides (left twice, so its copies are
            // newer on the left for the sessions whose versions tie otherwise), one session is
            // invalidated on the left and updated on the right, and each side creates a session.
            int writtenOnBothSides = 0;
            for (String id : ids) {
                SessionStore l = left.get(0).store(NS);
                SessionStore r = right.get(0).store(NS);
                if (id.equals(invalidated)) {
                    assertTrue(l.invalidate(id), "the left holds a copy of " + id + " and invalidates it");
                    r.commit(id, SessionDelta.builder().set("v", utf8("right")).build(), null);
                    continue;
                }
                r.commit(id, SessionDelta.builder().set("v", utf8("right")).build(), null);
                try {
                    l.commit(id, SessionDelta.builder().set("v", utf8("left")).build(), null);
                    writtenOnBothSides++;
                } catch (SessionGoneException e) {
                    // Every copy of this session's segment is on the right: the left side cannot have it
                    // (it reassigned the segment empty); the merge brings the right side's copy back.
                    assertTrue(!e.invalidated());
                }
            }
            assertTrue(writtenOnBothSides > ids.size() / 2, "most sessions have a copy on both sides");
            String leftOnly = newId();
            left.get(1).store(NS).create(leftOnly, SessionDelta.builder().set("v", utf8("left-new")).build());
            String rightOnly = newId();
            right.get(2).store(NS).create(rightOnly, SessionDelta.builder().set("v", utf8("right-new")).build());

            heal(cut);
            Await.until("one view of 5 after the merge", Duration.ofSeconds(60),
                    () -> c.members.stream().allMatch(g -> g.members().size() == 5));
            c.awaitStable();

            long conflicts = c.members.stream().mapToLong(g -> g.stats().mergeConflicts()).sum();
            assertTrue(conflicts >= writtenOnBothSides, "merge conflicts counted: " + conflicts + " for "
                    + writtenOnBothSides + " sessions written on both sides");
            for (SessionGrid g : c.members) {
                assertNull(g.store(NS).find(invalidated, null), "an invalidated session came back on " + g.memberName());
                assertEquals("left-new", text(g.store(NS).find(leftOnly, null), "v"));
                assertEquals("right-new", text(g.store(NS).find(rightOnly, null), "v"));
            }
            for (String id : ids.stream().filter(id -> !id.equals(invalidated)).toList()) {
                SessionRecord first = c.members.get(0).store(NS).find(id, null);
                assertNotNull(first, "session lost by the merge: " + id);
                assertTrue(List.of("left", "right").contains(text(first, "v")));
                for (SessionGrid g : c.members) {
                    SessionRecord r = g.store(NS).find(id, null);
                    assertEquals(first.version(), r.version(), "copies of " + id + " did not converge");
                    assertEquals(text(first, "v"), text(r, "v"));
                }
            }
            GridAssertions.ownersComplete(c, 3);
        }
    }
}
