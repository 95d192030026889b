package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.metrics.MessageCounts;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.WireCodec;

/**
 * The message counters a benchmark divides by the writes it made: exactly what one write costs in
 * messages and bytes, on the primary, on each backup, and through a member that is not the primary.
 * Members also exchange messages of their own in the background (session count reports), so exact
 * assertions are on the types a write sends; the totals include them.
 */
class MessageCountersTest {

    private static final String NS = "localhost/shop";
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Function<GridStats, Map<String, MessageCounts>> SENT = GridStats::messagesSentByType;
    private static final Function<GridStats, Map<String, MessageCounts>> RECEIVED = GridStats::messagesReceivedByType;

    private static byte[] value(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** Each member's counts by type, one way. */
    private static Map<SessionGrid, Map<String, MessageCounts>> snapshot(TestCluster c,
            Function<GridStats, Map<String, MessageCounts>> way) {
        Map<SessionGrid, Map<String, MessageCounts>> out = new HashMap<>();
        c.members.forEach(g -> out.put(g, way.apply(g.stats())));
        return out;
    }

    /** What {@code g} counted of {@code type} since {@code before}. */
    private static MessageCounts since(Map<SessionGrid, Map<String, MessageCounts>> before, SessionGrid g,
            Function<GridStats, Map<String, MessageCounts>> way, String type) {
        MessageCounts now = way.apply(g.stats()).getOrDefault(type, MessageCounts.NONE);
        MessageCounts then = before.get(g).getOrDefault(type, MessageCounts.NONE);
        return new MessageCounts(now.messages() - then.messages(), now.bytes() - then.bytes());
    }

    @Test
    void aWriteCountsItsRequestsAndRepliesExactly() throws Exception {
        try (TestCluster c = new TestCluster("counters").start(3)) {
            SessionGrid primary = c.members.get(1);
            List<SessionGrid> backups = List.of(c.members.get(0), c.members.get(2));
            String id = primary.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            assertTrue(primary.store(NS).isLocalPrimary(id), "the session's primary is " + primary.memberName());
            SessionRecord created = primary.store(NS).create(id, SessionDelta.builder().maxInactiveInterval(1800)
                    .set("user", value(40)).build());
            // The create replicated too; the backups count their replies a moment after it returned.
            Await.until("the backups counted their replies to the create", DEADLINE, () -> backups.stream()
                    .allMatch(b -> SENT.apply(b.stats()).getOrDefault("ReplicateReply", MessageCounts.NONE)
                            .messages() == 1));

            Map<SessionGrid, Map<String, MessageCounts>> sent = snapshot(c, SENT);
            Map<SessionGrid, Map<String, MessageCounts>> received = snapshot(c, RECEIVED);
            long totalSent = primary.metrics().getMessagesSent();
            long totalBytesSent = primary.metrics().getBytesSent();
            long totalReceived = primary.metrics().getMessagesReceived();

            primary.store(NS).commit(id, SessionDelta.builder().set("cart", value(1024)).build(), created);

            // What the primary sent each backup, byte for byte: the change from its old record to its new one.
            SessionRecord after = primary.node().records().get(new SessionKey(NS, id));
            WireCodec codec = new WireCodec(primary.config().maxRecordBytes());
            int change = codec.encode(new ReplicateRequest(primary.topologyId(), after.changesSince(created.version())))
                    .length;
            int ack = codec.encode(new ReplicateReply(true)).length;
            assertTrue(change > 1024, "the change carries the 1 KiB value: " + change + " bytes");

            // The primary's side is complete when the commit returns: it waited for both replies.
            assertEquals(new MessageCounts(2, 2L * change), since(sent, primary, SENT, "ReplicateRequest"),
                    "one change to each backup");
            assertEquals(new MessageCounts(2, 2L * ack), since(received, primary, RECEIVED, "ReplicateReply"),
                    "one reply from each backup");
            assertTrue(primary.metrics().getMessagesSent() >= totalSent + 2, "the total includes them");
            assertTrue(primary.metrics().getBytesSent() >= totalBytesSent + 2L * change, "and their bytes");
            assertTrue(primary.metrics().getMessagesReceived() >= totalReceived + 2, "and the replies");
            for (SessionGrid b : backups) {
                assertEquals(new MessageCounts(1, change), since(received, b, RECEIVED, "ReplicateRequest"),
                        b.memberName() + " received the change");
                // A backup counts its reply once JGroups took it, which may be just after the primary got it.
                Await.until(b.memberName() + " counted its reply", DEADLINE,
                        () -> since(sent, b, SENT, "ReplicateReply").equals(new MessageCounts(1, ack)),
                        () -> String.valueOf(b.stats().messagesSentByType()));
            }

            // Through a member that is not the primary: its request and the primary's reply, the same bytes
            // on both sides, and the replication as above.
            SessionGrid other = backups.get(0);
            SessionRecord copy = other.store(NS).find(id, null);
            Map<SessionGrid, Map<String, MessageCounts>> sent2 = snapshot(c, SENT);
            Map<SessionGrid, Map<String, MessageCounts>> received2 = snapshot(c, RECEIVED);
            other.store(NS).commit(id, SessionDelta.builder().set("cart", value(2048)).build(), copy);

            MessageCounts request = since(sent2, other, SENT, "CommitRequest");
            assertEquals(1, request.messages(), "one commit request");
            assertTrue(request.bytes() > 2048, "carrying the value: " + request);
            assertEquals(request, since(received2, primary, RECEIVED, "CommitRequest"), "as the primary counted it");
            MessageCounts reply = since(received2, other, RECEIVED, "CommitReply");
            assertEquals(1, reply.messages(), "one reply");
            Await.until("the primary counted its reply as sent", DEADLINE,
                    () -> since(sent2, primary, SENT, "CommitReply").equals(reply),
                    () -> String.valueOf(primary.stats().messagesSentByType()));
            assertEquals(2, since(sent2, primary, SENT, "ReplicateRequest").messages(), "and replicated it");

            // The same figures through JMX, where the benchmarks read them.
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = SessionGrid.objectName(c.name, primary.config().nodeName());
            assertTrue((Long) server.getAttribute(name, "MessagesSent") >= totalSent + 5);
            assertTrue((Long) server.getAttribute(name, "BytesSent") >= totalBytesSent + 4L * change);
            assertTrue((Long) server.getAttribute(name, "MessagesReceived") >= totalReceived + 5);
            assertTrue((Long) server.getAttribute(name, "BytesReceived") > 0);
            assertTrue(primary.metrics().getMessagesSentByType().get("ReplicateRequest") >= 6);
            assertTrue(primary.metrics().getMessagesReceivedByType().get("CommitRequest") >= 1);
            assertTrue(server.getAttribute(name, "MessagesSentByType") != null);
        }
    }
}
