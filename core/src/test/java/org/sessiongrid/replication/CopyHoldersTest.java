package org.sessiongrid.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;

/**
 * The rules of {@link CopyHolders}, driven alone: the notices it hands its {@link ChangeNotifier} are recorded, and
 * its member is A; it sends nothing itself.
 */
class CopyHoldersTest {

    private static final Member A = new Member("a", "a");
    private static final Member B = new Member("b", "b");
    private static final SessionKey KEY = new SessionKey("ns", "s");

    /** One notice: the session, its new version, the members told. */
    private record Notice(SessionKey key, long version, List<String> memberIds) {
    }

    private final List<Notice> notices = new ArrayList<>();
    private final RecordStore records = new RecordStore(16);
    private final CopyHolders holders = new CopyHolders(new Self(A), records,
            (key, version, ids) -> notices.add(new Notice(key, version, List.copyOf(ids))));

    @Test
    void aChangeMadeHereTellsEveryHolderOnceAndForgetsThem() {
        holders.add(KEY, "b");
        holders.add(KEY, "c");
        holders.add(KEY, "b");
        holders.changed(KEY, 7, null, true);
        assertEquals(1, notices.size());
        assertEquals(7, notices.get(0).version());
        assertEquals(List.of("b", "c"), notices.get(0).memberIds().stream().sorted().toList());
        holders.changed(KEY, 8, null, true);
        assertEquals(1, notices.size(), "nobody read it since: nobody holds a stale copy");
    }

    @Test
    void aChangeMadeElsewhereTellsTheOtherHoldersAndThisMembersOwnCopyAndTheCommitterHoldsTheNewOne() {
        holders.add(KEY, "b");
        holders.add(KEY, "c");
        holders.changed(KEY, 7, "b", true);
        assertEquals(List.of(new Notice(KEY, 7, List.of("c", "a"))), notices, "not the committer, which holds it");
        holders.changed(KEY, 8, "c", true);
        assertEquals(new Notice(KEY, 8, List.of("b", "a")), notices.get(1), "the last committer held a copy");
    }

    @Test
    void anEndedSessionLeavesNoHolder() {
        holders.changed(KEY, 7, "b", false);
        assertEquals(List.of(new Notice(KEY, 7, List.of("a"))), notices);
        holders.changed(KEY, 8, null, false);
        assertEquals(1, notices.size(), "the committer of the end holds no copy to tell");
    }

    @Test
    void holdersOfSessionsThisMemberNoLongerLeadsAreForgotten() {
        Topology aLeads = new Topology(1, Phase.NONE, 1, Placement.create(List.of(A), 16, 1), null);
        Topology bLeads = new Topology(2, Phase.NONE, 1, Placement.create(List.of(B), 16, 1), null);
        holders.add(KEY, "c");
        holders.forgetElsewhere(aLeads);
        holders.changed(KEY, 7, null, true);
        assertEquals(List.of(new Notice(KEY, 7, List.of("c"))), notices, "kept while A leads the segment");
        holders.add(KEY, "c");
        holders.forgetElsewhere(bLeads);
        holders.changed(KEY, 8, null, true);
        assertEquals(1, notices.size(), "forgotten once B leads it");
    }

    /** A messenger that is only a member's identity: CopyHolders asks nothing else of it. */
    private record Self(Member self) implements Messenger {
        @Override
        public boolean isInView(Member m) {
            throw new AssertionError("not used");
        }

        @Override
        public boolean isInView(String memberId) {
            throw new AssertionError("not used");
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public CompletableFuture<GridMessage> request(Member target, GridMessage request, long timeoutMillis) {
            throw new AssertionError("not used");
        }

        @Override
        public Map<Member, GridMessage> requestAll(Collection<Member> targets, GridMessage request,
                                                   long timeoutMillis) {
            throw new AssertionError("not used");
        }
    }
}
