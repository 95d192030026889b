package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;

/**
 * Installs run one at a time with their follow-up (the drop of segments no longer owned), and forgetting
 * everything for a rejoin waits for the changes in progress: neither may leave a record the newest state
 * says this member holds dropped, or one it says it dropped held.
 */
class TopologyInstallerTest {

    private static final Member A = new Member("a", "a");
    private static final Member B = new Member("b", "b");

    /** One segment, owned by {@code owner} alone. */
    private static Topology topology(long id, Member owner) {
        List<Member> members = List.of(A, B);
        return new Topology(id, Phase.NONE, 1, new OwnerTable(members, 1, new int[][] {{members.indexOf(owner)}}), null);
    }

    private static SessionRecord record(String id) {
        return SessionRecord.create(new SessionKey("localhost/install", id), 1,
                SessionDelta.builder().maxInactiveInterval(60).build(), 0);
    }

    @Test
    void aLateFollowUpOfAnOlderInstallDoesNotDropWhatANewerOneKeeps() throws Exception {
        InstalledTopology installed = new InstalledTopology();
        RecordStore records = new RecordStore(1);
        CountDownLatch inFollowUp = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TopologyInstaller installer = new TopologyInstaller(installed, records, () -> A, (previous, t) -> {
            if (t.id() == 2) {
                inFollowUp.countDown();
                await(release);
            }
        }, (t, decidedBy) -> { }, () -> true, new GridStats());
        assertTrue(installer.install(topology(1, A), A));

        // Topology 2 moves the segment to B; its follow-up (the drop) is held back.
        CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> installer.install(topology(2, B), B));
        assertTrue(inFollowUp.await(5, TimeUnit.SECONDS));
        // Topology 3 gives it back to A, and a write under topology 3 lands once it is installed.
        CompletableFuture<Void> third = CompletableFuture.runAsync(() -> installer.install(topology(3, A), A))
                .thenRun(() -> records.put(record("written-under-3")));
        try {
            third.get(500, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // Waits for topology 2's install to finish: what the fix does.
        }
        release.countDown();
        second.get(5, TimeUnit.SECONDS);
        third.get(5, TimeUnit.SECONDS);

        assertEquals(3, installed.id());
        assertNotNull(records.get(record("written-under-3").key()),
                "a write made under topology 3, which keeps the segment here, was dropped by topology 2's follow-up");
    }

    @Test
    void forgettingEverythingWaitsForTheChangesInProgress() throws Exception {
        InstalledTopology installed = new InstalledTopology();
        RecordStore records = new RecordStore(1);
        TopologyInstaller installer = new TopologyInstaller(installed, records, () -> A, (previous, t) -> { },
                (t, decidedBy) -> { }, () -> true, new GridStats());
        Topology t = topology(1, A);
        installer.install(t, A);
        records.put(record("before"));

        // A backup applying its primary's change under topology 1 is inside the change when the pause is found.
        assertTrue(installed.enterChange(t.id()));
        CompletableFuture<Integer> forgetting = CompletableFuture.supplyAsync(() -> installer.forgetAll(System.nanoTime()));
        Thread.sleep(300);
        records.put(record("in-progress"));
        installed.exitChange();
        assertEquals(2, forgetting.get(5, TimeUnit.SECONDS), "records set aside");

        assertEquals(0, installed.id());
        assertEquals(0, records.size(), "a change in progress when the member forgot everything was left behind");
        assertEquals(2, records.kept().size(), "the change in progress was set aside with the rest");
        assertTrue(!installed.enterChange(t.id()), "no change of the forgotten topology begins afterwards");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
