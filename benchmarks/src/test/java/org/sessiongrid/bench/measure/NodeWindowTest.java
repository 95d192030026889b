package org.sessiongrid.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.sessiongrid.testsupport.process.ProcCounters;

/** The per-node counts of a loaded window: what is read from the kernel, a status page and the code cache. */
class NodeWindowTest {

    @Test
    void aStatusPageGivesTheGridsCountersAndTheirDifference() {
        Map<String, String> before = Map.of("Commits", "100", "MessagesSent", "400", "BytesSent", "40000",
                "MessagesSentByType", "Ack:150,CommitRequest:10,ReplicateRequest:200", "SuspicionsRaised", "0",
                "SuspectsExcluded", "0", "RebalancesCompleted", "3", "TopologyId", "7");
        Map<String, String> after = Map.of("Commits", "300", "MessagesSent", "1000", "BytesSent", "100000",
                "MessagesSentByType", "Ack:350,CommitRequest:30,ReplicateRequest:600", "SuspicionsRaised", "1",
                "SuspectsExcluded", "0", "RebalancesCompleted", "3", "TopologyId", "7");
        GridCounters d = GridCounters.of(after).since(GridCounters.of(before));
        assertEquals(new GridCounters(200, 600, 60000, 20, 400, 1, 0, 0, 7), d);
        assertEquals(GridCounters.NONE, GridCounters.of(Map.of("members", "3")), "another contender's status");
    }

    @Test
    void theHotPathCountsOnlyMethodsInUseAtTierFour() {
        String codelist = String.join("\n",
                "812 4 0 org.sessiongrid.tomcat.Commits.commit(Lorg/sessiongrid/tomcat/GridSession;"
                        + "Lorg/sessiongrid/grid/SessionLock;Lorg/sessiongrid/tomcat/CommitStage;)Z [0x1, 0x2 - 0x3]",
                "640 3 0 org.sessiongrid.tomcat.GridSession.takeChanges()Lorg/sessiongrid/session/SessionDelta; [0x1]",
                "700 4 1 org.sessiongrid.replication.PrimaryRole.commit(Lorg/sessiongrid/wire/GridMessage$CommitRequest;"
                        + "Ljava/lang/String;)Lorg/sessiongrid/wire/GridMessage; [0x1]",
                "701 4 0 org.sessiongrid.replication.PrimaryRole.commitLocked(I)V [0x1]",
                "9 4 0 org.sessiongrid.grid.PrimaryClient.callAsync()V [0x1]");
        // commit at C2; takeChanges only at tier 3; PrimaryRole.commit's C2 code not entrant; callAsync is not call
        assertEquals(new HotPathTiers(2, HotPathTiers.HOT.size()), HotPathTiers.of(codelist, HotPathTiers.HOT));
    }

    @Test
    void aWarmupCutShortBeforeC2SaysSo() {
        Warmup quiet = new Warmup(90_000, true, 0.01, 0.02);
        Warmup cut = quiet.shortOf("C2 had not compiled every node's write path");
        assertTrue(!cut.settled() && cut.brief().contains("still in the ramp") && cut.brief().contains("C2 had not"),
                cut.brief());
        assertTrue(cut.why().endsWith("; C2 had not compiled every node's write path)"), cut.why());
        assertTrue(new HotPathTiers(5, 5).all() && !new HotPathTiers(4, 5).all() && !HotPathTiers.NONE.all());
    }

    @Test
    void thisProcessHasSwitchesAndRunningThreads() {
        long pid = ProcessHandle.current().pid();
        ProcCounters a = ProcCounters.of(pid);
        assertTrue(a.voluntarySwitches() + a.involuntarySwitches() > 0, String.valueOf(a));
        assertTrue(ProcCounters.runnableThreads(pid) >= 1, "the thread reading is running");
        assertEquals(new ProcCounters(5, 2, -1, 40), new ProcCounters(15, 4, 10, 100).since(new ProcCounters(10, 2, -1, 60)));
    }

    @Test
    void aLineGivesTheCountsPerWrite() {
        NodeWindow w = new NodeWindow("node2", 1000, 300_000_000L, new ProcCounters(4000, 500, 6000, 5000),
                new GridCounters(990, 4000, 2_500_000, 10, 1980, 0, 0, 0, 7), 3.5, new HotPathTiers(5, 5),
                List.of(new ThreadCpu.Group("http-nio-#-exec-#", 150_000_000L)));
        String line = w.line();
        assertTrue(line.startsWith("node2: 1000 writes, 300 µs CPU, switches 4.00 vol + 0.50 invol, syscalls 6.00 r"
                + " + 5.00 w, runnable 3.50, sent 4.00 msgs / 2500 B, commits here 990, remote commits sent 10"), line);
        assertTrue(line.endsWith("hot path at C2 5/5; threads µs/write: http-nio-#-exec-#=150"), line);
    }
}
