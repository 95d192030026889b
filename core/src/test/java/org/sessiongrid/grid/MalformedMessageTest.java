package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.junit.jupiter.api.Test;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.MalformedMessageException;
import org.sessiongrid.wire.WireCodec;

/**
 * DESIGN.md invariant 6 end to end: a peer that sends malformed requests to a member gets a
 * {@code Failure} back, the member counts each drop by reason, keeps serving, and no session changes,
 * not even the session a truncated or padded commit names.
 *
 * <p>The peer is a plain JGroups channel in the same cluster (what an unauthenticated process on a
 * non-TLS stack could be), talking through a {@link MessageDispatcher} like the members do.
 */
class MalformedMessageTest {

    private static final String NS = "localhost/app";
    private static final int MAX_RECORD_BYTES = 4096;

    @Test
    void malformedRequestsAreDroppedCountedAnsweredAndChangeNothing() throws Exception {
        try (TestCluster cluster = new TestCluster("malformed", b -> b.maxRecordBytes(MAX_RECORD_BYTES)).start(2);
             JChannel intruder = StackLoader.newChannel("test-loopback", new Properties())) {
            SessionGrid a = cluster.members.get(0);
            SessionGrid b = cluster.members.get(1);
            WireCodec codec = new WireCodec(MAX_RECORD_BYTES);

            // Sessions with either member as primary, and their copies as each member returns them.
            List<String> ids = new ArrayList<>();
            for (SessionGrid owner : List.of(a, a, b, b)) {
                String id = owner.store(NS).newLocalId(() -> UUID.randomUUID().toString());
                owner.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800).set("user", utf8("alice"))
                        .build());
                ids.add(id);
            }
            Map<String, SessionRecord> before = snapshot(cluster, ids);

            intruder.connect(cluster.name);
            MessageDispatcher dispatcher = new MessageDispatcher(intruder);
            Address target = a.node().transport().channel().getAddress();
            Await.until("the intruder sees member A", Duration.ofSeconds(10),
                    () -> intruder.getView() != null && intruder.getView().containsMember(target));

            // Payloads by the reason A must count them under. The commits name a real session whose
            // primary is A, with the current topology id: decoded, they would overwrite "user".
            String victim = ids.get(0);
            GridMessage evilCommit = CommitRequest.update(a.topologyId(), new SessionKey(NS, victim),
                    before.get("A/" + victim).version(), SessionDelta.builder().set("user", utf8("mallory")).build(), 42,
                    null);
            byte[] commit = codec.encode(evilCommit);
            byte[] read = codec.encode(new ReadRequest(a.topologyId(), new SessionKey(NS, victim), 0));
            Map<byte[], String> payloads = new LinkedHashMap<>();
            payloads.put(new byte[0], "truncated");
            payloads.put(Arrays.copyOf(commit, commit.length - 1), "truncated");
            payloads.put(Arrays.copyOf(commit, commit.length + 1), "trailing_bytes");
            byte[] otherVersion = read.clone();
            otherVersion[2] = (byte) (WireCodec.FORMAT_VERSION + 1);
            payloads.put(otherVersion, "wrong_version");
            payloads.put(new byte[] {(byte) 0xac, (byte) 0xed, 0, 5, 0x73, 0x72, 0, 0}, "wrong_version");
            byte[] unknownType = read.clone();
            unknownType[3] = (byte) 0xee;
            payloads.put(unknownType, "unknown_type");
            payloads.put(codec.encode(CommitRequest.update(a.topologyId(), new SessionKey(NS, victim), 0,
                    SessionDelta.builder().set("user", new byte[MAX_RECORD_BYTES + 1]).build(), 43, null)),
                    "oversized");
            byte[] badUtf8 = codec.encode(new ReadRequest(a.topologyId(), new SessionKey(NS, "\u00e9"), 0));
            badUtf8[badUtf8.length - 9] = (byte) 0xff; // the id's second (continuation) byte
            payloads.put(badUtf8, "invalid_value");
            // Seeded mutations of the commit; the reason each must be counted under is the one the codec
            // gives here (those that still decode would be real requests, and are left out).
            Random random = new Random(7);
            for (int i = 0; payloads.size() < 40 && i < 10_000; i++) {
                byte[] m = commit.clone();
                m[4 + random.nextInt(m.length - 4)] = (byte) random.nextInt(256);
                m = Arrays.copyOf(m, m.length - random.nextInt(3));
                try {
                    codec.decode(m);
                } catch (MalformedMessageException e) {
                    payloads.put(m, e.reason().name().toLowerCase(Locale.ROOT));
                }
            }

            Map<String, Long> expected = new TreeMap<>();
            for (Map.Entry<byte[], String> p : payloads.entrySet()) {
                BytesMessage msg = p.getKey().length == 0 ? new BytesMessage(target)
                        : new BytesMessage(target, p.getKey());
                Object reply = dispatcher.sendMessage(msg, RequestOptions.SYNC().timeout(10_000));
                assertInstanceOf(byte[].class, reply, "reply to a " + p.getValue() + " message");
                GridMessage answer = codec.decode((byte[]) reply);
                GridMessage.Failure failure = assertInstanceOf(GridMessage.Failure.class, answer,
                        "answer to a " + p.getValue() + " message");
                assertTrue(failure.message().startsWith("malformed message"), failure.message());
                expected.merge(p.getValue(), 1L, Long::sum);
            }

            assertEquals(expected, a.stats().droppedByReason(), "drops counted by A");
            assertEquals(Map.of(), b.stats().droppedByReason(), "drops counted by B, which got nothing malformed");

            // Nothing changed, on either member (primary copies and backup copies alike)...
            assertEquals(before, snapshot(cluster, ids));
            for (String id : ids) {
                for (SessionGrid g : cluster.members) {
                    SessionRecord held = g.node().records().get(new SessionKey(NS, id));
                    assertNotNull(held, g.memberName() + " holds " + id);
                    assertEquals("alice", new String(held.attribute("user"), StandardCharsets.UTF_8));
                }
            }
            // ...and A still serves, as primary and through B.
            String fresh = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(fresh, SessionDelta.builder().set("n", utf8("1")).build());
            SessionRecord viaB = b.store(NS).find(fresh, null);
            assertNotNull(viaB);
            SessionRecord updated = b.store(NS).commit(victim, SessionDelta.builder().set("user", utf8("bob")).build(),
                    b.store(NS).find(victim, null));
            assertEquals("bob", new String(updated.attribute("user"), StandardCharsets.UTF_8));
            assertEquals("bob", new String(a.store(NS).find(victim, null).attribute("user"), StandardCharsets.UTF_8));
        }
    }

    /** Each session as each member returns it, keyed "member/id". */
    private static Map<String, SessionRecord> snapshot(TestCluster cluster, List<String> ids) {
        Map<String, SessionRecord> out = new TreeMap<>();
        for (SessionGrid g : cluster.members) {
            for (String id : ids) {
                SessionRecord r = g.store(NS).find(id, null);
                assertNotNull(r, id + " through " + g.memberName());
                out.put(g.memberName() + "/" + id, r);
            }
        }
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
