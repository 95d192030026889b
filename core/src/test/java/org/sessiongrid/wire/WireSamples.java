package org.sessiongrid.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.RecordChanges;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.Changed;
import org.sessiongrid.wire.GridMessage.CommitKind;
import org.sessiongrid.wire.GridMessage.CommitReply;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.CommitStatus;
import org.sessiongrid.wire.GridMessage.CopyStamp;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.JoinReply;
import org.sessiongrid.wire.GridMessage.JoinRequest;
import org.sessiongrid.wire.GridMessage.KeptQuery;
import org.sessiongrid.wire.GridMessage.KeptSegments;
import org.sessiongrid.wire.GridMessage.RejoinRequest;
import org.sessiongrid.wire.GridMessage.LeaveRequest;
import org.sessiongrid.wire.GridMessage.ListSessions;
import org.sessiongrid.wire.GridMessage.MergePush;
import org.sessiongrid.wire.GridMessage.MergeRecords;
import org.sessiongrid.wire.GridMessage.MergeResult;
import org.sessiongrid.wire.GridMessage.RejoinReply;
import org.sessiongrid.wire.GridMessage.RestoreRecords;
import org.sessiongrid.wire.GridMessage.RestoreResult;
import org.sessiongrid.wire.GridMessage.ReadReply;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.ReadStatus;
import org.sessiongrid.wire.GridMessage.RebalanceConfirm;
import org.sessiongrid.wire.GridMessage.ReplicateReply;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.SegmentCounts;
import org.sessiongrid.wire.GridMessage.SessionList;
import org.sessiongrid.wire.GridMessage.StateChunk;
import org.sessiongrid.wire.GridMessage.StateDiff;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.Suspect;
import org.sessiongrid.wire.GridMessage.TopologyQuery;
import org.sessiongrid.wire.GridMessage.TopologyStatus;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;
import org.sessiongrid.wire.GridMessage.Touch;
import org.sessiongrid.wire.GridMessage.TouchBatch;

/**
 * One or more instances of every {@link GridMessage} type, with the kind of content real traffic has
 * (owner tables from {@link Placement}, tagged members, attributes, partial and whole changes, nulls
 * where a field allows them). Deterministic, so that the fuzz corpus generated from it is stable.
 */
final class WireSamples {

    /** The largest attribute value in the samples; codecs in tests allow exactly this much. */
    static final int LARGEST_VALUE = 1024;

    private WireSamples() {
    }

    static final SessionKey KEY = new SessionKey("localhost/shop", "9F3A1C0B7E2D4F56A1B2C3D4E5F60718.node-a");
    static final SessionKey OTHER_KEY = new SessionKey("shop.example.com/", "ö-ünïcödé-Σ-\uD83D\uDE00");

    static final List<Member> MEMBERS = List.of(
            new Member("0b1f6a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "node-a", "dc1", "rack1", "host1"),
            new Member("5d2c7b8a-9e0f-4a1b-8c2d-3e4f5a6b7c8d", "node-b", "dc1", "rack2", null),
            new Member("a7e3d9c1-2b4f-4d6e-8f0a-1b2c3d4e5f6a", null, null, null, null),
            new Member("f4c8e2a6-3d5b-4f7c-9e1a-2b3c4d5e6f7a", "node-d", "dc2", null, "host4"));

    static OwnerTable table3() {
        return Placement.create(MEMBERS.subList(0, 3), 64, 3);
    }

    static Topology stableTopology() {
        return new Topology(42, Phase.NONE, 3, table3(), null);
    }

    /** A rebalance in progress: the fourth member joins. */
    static Topology rebalancingTopology(Phase phase) {
        OwnerTable current = table3();
        OwnerTable pending = Placement.rebalance(current, MEMBERS, 3);
        return new Topology(43, phase, 3, current, pending);
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static SessionMeta meta(boolean valid, byte[] containerData, String lockOwner) {
        return new SessionMeta(1_700_000_000_000L, 1_700_000_123_456L, 1800, valid, containerData, lockOwner,
                0x1234_5678_9abc_def1L);
    }

    static SessionRecord record(SessionKey key, long version) {
        TreeMap<String, Attribute> attrs = new TreeMap<>();
        attrs.put("cart", new Attribute(bytes(LARGEST_VALUE, 1), version));
        attrs.put("user", new Attribute("alice".getBytes(StandardCharsets.UTF_8), version - 1));
        attrs.put("empty", new Attribute(new byte[0], 1));
        return new SessionRecord(key, version, meta(true, bytes(40, 2), null), attrs);
    }

    /** Changes from v(base) to v(version): one attribute changed, three names current. */
    static RecordChanges partialChanges(long base, long version) {
        TreeMap<String, Attribute> changed = new TreeMap<>();
        changed.put("cart", new Attribute(bytes(300, 3), version));
        return new RecordChanges(KEY, base, version, meta(true, null, "lock-token-7"), changed,
                List.of("cart", "user", "empty"));
    }

    static SessionDelta richDelta() {
        return SessionDelta.builder().creationTime(1_700_000_000_000L).lastAccessedTime(1_700_000_999_000L)
                .maxInactiveInterval(-1).containerData(bytes(64, 4))
                .set("cart", bytes(LARGEST_VALUE, 5)).set("ünïcode-näme", new byte[] {1, 2, 3}).set("empty", new byte[0])
                .remove("user").remove("old-flag").build();
    }

    /** Every sample, by a file-name-friendly label (type name plus variant). Insertion-ordered. */
    static Map<String, GridMessage> all() {
        Map<String, GridMessage> m = new LinkedHashMap<>();
        m.put("JoinRequest", new JoinRequest(1024, 3));
        BitSet kept = new BitSet();
        kept.set(0);
        kept.set(17, 40);
        kept.set(1023);
        m.put("RejoinRequest", new RejoinRequest(1024, 3, kept));
        m.put("RejoinRequest-nothingKept", new RejoinRequest(1024, 3, new BitSet()));
        m.put("KeptQuery", new KeptQuery());
        m.put("KeptSegments", new KeptSegments(kept));
        m.put("KeptSegments-none", new KeptSegments(new BitSet()));
        m.put("JoinReply-accepted", new JoinReply(true, null, stableTopology()));
        m.put("JoinReply-refused", new JoinReply(false,
                "numSegments 512 differs from the cluster's 1024: use the same settings on every member", null));
        BitSet lost = new BitSet();
        lost.set(17, 30);
        m.put("RejoinReply-lost", new RejoinReply(true, null, stableTopology(), lost, 7));
        m.put("RejoinReply-nothingLost", new RejoinReply(true, null, stableTopology(), new BitSet(), 0));
        m.put("RejoinReply-refused", new RejoinReply(false, "numOwners=2 on C but cluster 'farm' uses 3: set numOwners=3"
                + " on every member", null, new BitSet(), 0));
        m.put("LeaveRequest", new LeaveRequest());
        m.put("TopologyUpdate-stable", new TopologyUpdate(stableTopology()));
        m.put("TopologyUpdate-readOld", new TopologyUpdate(rebalancingTopology(Phase.READ_OLD_WRITE_ALL)));
        m.put("TopologyUpdate-readNew", new TopologyUpdate(rebalancingTopology(Phase.READ_NEW_WRITE_ALL)));
        m.put("SegmentCounts", new SegmentCounts(new int[] {0, 5, 63}, new int[] {12, 0, 1_000_000}));
        m.put("SegmentCounts-empty", new SegmentCounts(new int[0], new int[0]));
        m.put("TopologyQuery", new TopologyQuery());
        m.put("TopologyStatus-joined", new TopologyStatus(rebalancingTopology(Phase.READ_OLD_WRITE_ALL), true, 64, 3, true));
        m.put("TopologyStatus-none", new TopologyStatus(null, false, 1024, 2, false));
        m.put("RebalanceConfirm", new RebalanceConfirm(43));
        m.put("Suspect", new Suspect("0f6d9a2c-5b1e-4c3a-9d7e-2a8b6c4d1e0f",
                "no answer to a replicate within backupTimeout=1000ms"));
        m.put("CommitRequest-update", new CommitRequest(42, KEY, CommitKind.UPDATE, 42L << 32 | 7, richDelta(), 0,
                -8_765_432_109_876L, "lock-token-7", 2_500));
        m.put("CommitRequest-create", new CommitRequest(42, OTHER_KEY, CommitKind.CREATE, 0,
                SessionDelta.builder().containerData(null).set("a", new byte[] {0}).build(), 0, 0, null, 0));
        m.put("CommitRequest-invalidate", new CommitRequest(42, KEY, CommitKind.INVALIDATE, 0,
                SessionDelta.builder().build(), 600, 0, null, 0));
        // A newer member's invalidation names the base its request read, in the field an update's base takes.
        m.put("CommitRequest-invalidateWithBase", CommitRequest.invalidate(42, KEY, 42L << 32 | 7, 600));
        m.put("CommitRequest-claim", new CommitRequest(42, KEY, CommitKind.CLAIM, 0,
                SessionDelta.builder().build(), 600, 0, MEMBERS.get(1).id() + "/5eed0f0c1a1e", 0));
        m.put("CommitReply-changes", new CommitReply(CommitStatus.OK, 42L << 32 | 9, partialChanges(42L << 32 | 7,
                42L << 32 | 9)));
        m.put("CommitReply-plain", new CommitReply(CommitStatus.LOCK_LOST, 0, null));
        m.put("ReadRequest", new ReadRequest(42, OTHER_KEY, 42L << 32 | 7));
        m.put("ReadReply-whole", new ReadReply(ReadStatus.CHANGES, RecordChanges.whole(record(KEY, 42L << 32 | 9))));
        m.put("ReadReply-notModified", new ReadReply(ReadStatus.NOT_MODIFIED, null));
        m.put("ReplicateRequest-partial", new ReplicateRequest(42, partialChanges(5, 6)));
        m.put("ReplicateRequest-tombstone", new ReplicateRequest(42, RecordChanges.whole(
                record(KEY, 10).tombstone(11, 1_700_000_500_000L, 600))));
        // A container's claim: attributes kept for its listeners, the claimant's token, lastOpId UNANNOUNCED.
        m.put("ReplicateRequest-claimedExpiry", new ReplicateRequest(42, RecordChanges.whole(
                record(KEY, 10).claimedTombstone(11, 1_700_000_500_000L, 600, MEMBERS.get(1).id() + "/5eed0f0c1a1e"))));
        m.put("ReplicateReply", new ReplicateReply(true));
        m.put("StateRequest-first", new StateRequest(43, 17, null, 512));
        m.put("StateRequest-next", new StateRequest(43, 63, KEY, 1));
        List<SessionRecord> records = new ArrayList<>();
        records.add(record(KEY, 3));
        records.add(record(OTHER_KEY, 1L << 40));
        records.add(new SessionRecord(new SessionKey("", "x"), 1, meta(false, null, null), new TreeMap<>()));
        m.put("StateChunk-records", new StateChunk(records, false));
        m.put("StateChunk-empty", new StateChunk(List.of(), true));
        m.put("StateDigest-first", new StateDigest(43, 17, null, 512, List.of(
                new CopyStamp(KEY, 42L << 32 | 9, 0x5eed0f0c1a1e0001L, 1_700_000_000_001L),
                new CopyStamp(OTHER_KEY, 1, SessionRecord.UNANNOUNCED, 0)), OTHER_KEY));
        m.put("StateDigest-rest", new StateDigest(43, 63, KEY, 1, List.of(), null));
        m.put("StateDiff-partial", new StateDiff(records.subList(0, 1), List.of(OTHER_KEY),
                List.of(new Touch(KEY, 1_700_000_000_002L)), OTHER_KEY, false));
        m.put("StateDiff-last", new StateDiff(List.of(), List.of(), List.of(), null, true));
        m.put("TouchBatch", new TouchBatch(List.of(new Touch(KEY, 1_700_000_000_001L), new Touch(OTHER_KEY, 0),
                new Touch(KEY, Long.MAX_VALUE)), true));
        m.put("TouchBatch-empty", new TouchBatch(List.of(), false));
        m.put("ListSessions-prefix", new ListSessions("localhost/", false));
        m.put("ListSessions-exact", new ListSessions("localhost/shop", true));
        m.put("SessionList", new SessionList(List.of(
                new SessionRecord(KEY, 42L << 32 | 9, meta(true, bytes(16, 6), "lock-token-7"), new TreeMap<>()),
                new SessionRecord(OTHER_KEY, 1, meta(true, null, null), new TreeMap<>()))));
        m.put("SessionList-empty", new SessionList(List.of()));
        m.put("Changed", new Changed(OTHER_KEY, 42L << 32 | 10));
        m.put("MergePush", new MergePush(0x7e57_0001L, new Topology(44, Phase.NONE, 1,
                Placement.create(MEMBERS, 64, 1), null)));
        m.put("MergeRecords", new MergeRecords(0x7e57_0001L, records));
        m.put("MergeRecords-empty", new MergeRecords(-1, List.of()));
        m.put("MergeResult", new MergeResult(17));
        m.put("RestoreRecords", new RestoreRecords(42, records));
        m.put("RestoreRecords-empty", new RestoreRecords(42, List.of()));
        m.put("ReturnCopies", new GridMessage.ReturnCopies(42, records));
        m.put("ReturnCopies-empty", new GridMessage.ReturnCopies(42, List.of()));
        m.put("RestoreResult", new RestoreResult(17));
        m.put("Retry", new Retry(44));
        m.put("Ack", new Ack());
        m.put("Failure", new Failure("primary node-a of session localhost/shop#… failed: ☹ IllegalStateException"));
        return m;
    }
}
