package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.sessiongrid.jgroups.StackLoader;
import org.sessiongrid.session.SessionDelta;

/**
 * A member paused longer than the failure-detection timeout (a long GC, SIGSTOP) never serves its
 * possibly stale copies: it refuses, drops them and joins again without data. The first test stops a
 * member's JVM for real, so that the others expel it while it holds copies and change them meanwhile;
 * the others tell the pause detector that a pause happened.
 */
class PauseTest {

    private static final String NS = "localhost/pause";

    @Test
    void aStoppedMemberIsExpelledAndNeverServesItsOldCopiesWhenItResumes() throws Exception {
        String cluster = "sigstop-" + UUID.randomUUID();
        int[] ports = {ClusterSecretTest.freePort(), ClusterSecretTest.freePort(), ClusterSecretTest.freePort()};
        String hosts = java.util.Arrays.stream(ports).mapToObj(p -> "127.0.0.1[" + p + "]")
                .collect(java.util.stream.Collectors.joining(","));
        String detection = "3000";
        SessionGrid a = SessionGrid.start(ClusterSecretTest.tcp(cluster, "A", ports[0], hosts)
                .stackProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, detection).build());
        SessionGrid b = null;
        try (MemberProcess c = MemberProcess.start(cluster, "C", ports[2], hosts,
                "-D" + StackLoader.FAILURE_DETECTION_TIMEOUT + "=" + detection)) {
            b = SessionGrid.start(ClusterSecretTest.tcp(cluster, "B", ports[1], hosts)
                    .stackProperty(StackLoader.FAILURE_DETECTION_TIMEOUT, detection).build());
            SessionGrid first = a;
            SessionGrid second = b;
            Await.until("A, B and C in one stable grid", Duration.ofSeconds(60), () -> first.isStable()
                    && second.isStable() && first.members().size() == 3 && first.topologyId() == second.topologyId());
            // Sessions whose primary is C: it would answer them from its own copy.
            List<String> ids = new ArrayList<>();
            while (ids.size() < 20) {
                String id = UUID.randomUUID().toString();
                if (a.store(NS).owners(id).primary().equals("C")) {
                    a.store(NS).create(id, SessionDelta.builder().set("v", utf8("old")).build());
                    ids.add(id);
                }
            }
            c.read(NS, ids.get(0));
            Await.until("C serves before the stop", Duration.ofSeconds(30), () -> c.answers(ids.get(0)).contains("old"),
                    () -> c.lines().toString());

            c.signal("STOP");
            Await.until("A and B expelled the stopped member", Duration.ofSeconds(60),
                    () -> first.members().size() == 2 && second.members().size() == 2 && first.isStable());
            for (String id : ids) {
                a.store(NS).commit(id, SessionDelta.builder().set("v", utf8("new")).build(), a.store(NS).find(id, null));
            }
            c.signal("CONT");
            for (String id : ids) {
                c.read(NS, id);
            }
            java.util.function.Function<String, List<String>> afterResume = id -> {
                List<String> answers = c.answers(id);
                return id.equals(ids.get(0)) ? answers.subList(Math.min(1, answers.size()), answers.size()) : answers;
            };
            Await.until("C answered every read after it resumed", Duration.ofSeconds(60),
                    () -> ids.stream().noneMatch(id -> afterResume.apply(id).isEmpty()), () -> c.lines().toString());
            // Then it rejoins without its old copies and serves the others' values; until then it refuses.
            for (String id : ids) {
                Await.until("C serves " + id + " again", Duration.ofSeconds(60), () -> {
                    List<String> answers = afterResume.apply(id);
                    if (answers.get(answers.size() - 1).equals("new")) {
                        return true;
                    }
                    c.read(NS, id);
                    return false;
                }, () -> c.lines().toString());
            }
            for (String id : ids) {
                for (String answer : afterResume.apply(id)) {
                    assertTrue(answer.equals("new") || answer.startsWith("unavailable"), "C answered " + id + " with '"
                            + answer + "' after it resumed, a copy from before its stop: " + afterResume.apply(id));
                }
            }
        } finally {
            if (b != null) {
                b.halt();
            }
            a.halt();
        }
    }

    @Test
    void pausedMemberRefusesThenRejoinsWithoutItsOldCopies() {
        try (TestCluster c = new TestCluster("pause",
                b -> b.stackProperty("sessiongrid.failureDetectionTimeout", "3000")).start(3)) {
            SessionGrid a = c.members.get(0);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
                a.store(NS).create(id, SessionDelta.builder().set("v", ("value" + i).getBytes(StandardCharsets.UTF_8))
                        .build());
                ids.add(id);
            }
            long before = a.topologyId();
            assertEquals(java.util.Optional.empty(), a.refusal(), "a member in a stable grid serves");
            a.node().simulatePause(10_000);
            // As for the read below: the rejoin may be over before the question, and only then is no refusal allowed.
            String refusal = a.refusal().orElse(null);
            assertTrue(refusal != null ? refusal.contains("paused") : a.topologyId() > before, "refusal: " + refusal);
            try {
                a.store(NS).find(ids.get(0), null);
                // The detector's tick may come between the pause and the read, and the rejoin is quick here:
                // an answer is then allowed only from a member that has rejoined since.
                assertTrue(a.topologyId() > before, "a paused member served a copy before it rejoined");
            } catch (GridUnavailableException e) {
                assertTrue(e.getMessage().contains("paused"), e.getMessage());
            }
            Await.until("the paused member rejoined", Duration.ofSeconds(60),
                    () -> !a.node().isRejoining() && a.topologyId() > 0);
            c.awaitStable();
            for (int i = 0; i < ids.size(); i++) {
                assertEquals("value" + i, new String(a.store(NS).find(ids.get(i), null).attribute("v"),
                        StandardCharsets.UTF_8), "read through the rejoined member");
            }
            GridAssertions.ownersComplete(c, 3);
            assertEquals(java.util.Optional.empty(), a.refusal(), "the rejoined member serves");
            a.close();
            assertEquals(java.util.Optional.of("stopped"), a.refusal());
        }
    }

    /**
     * A member alone in its cluster (one Tomcat on a laptop that slept, a single-node test farm): nobody could have
     * excluded it or served its sessions meanwhile, so after a pause longer than failure detection, or one between
     * the check threshold and it, it serves on with its copies. It had set them aside (the only ones) and waited for
     * a view of two to rejoin, refusing every request for good.
     */
    @Test
    void aMemberAloneInItsClusterServesOnAfterAPause() {
        try (TestCluster c = new TestCluster("alonepause",
                b -> b.stackProperty("sessiongrid.failureDetectionTimeout", "3000")).start(1)) {
            SessionGrid a = c.members.get(0);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {5}).build());
            long before = a.topologyId();
            for (long pause : new long[] {10_000, 2_000}) {
                a.node().simulatePause(pause);
                assertEquals(5, a.store(NS).find(id, null).attribute("v")[0], "read after a " + pause + " ms pause");
                assertTrue(!a.node().isRejoining() && a.refusal().isEmpty(), "after a " + pause + " ms pause: "
                        + a.refusal());
                assertEquals(before, a.topologyId(), "the lone member rejoined after a " + pause + " ms pause");
            }
        }
    }

    /**
     * A pause long enough for the others to have excluded this member (above backupTimeout + verifySuspectTimeout,
     * 1.5 s here) but shorter than failure detection (3 s), when they did not: its requests wait until any
     * exclusion would have happened and the others said they still count it, then it serves on with its copies.
     */
    @Test
    void aPauseTheOthersDidNotExcludeItForCostsAWaitNotItsCopies() {
        try (TestCluster c = new TestCluster("shortpause").start(3)) {
            SessionGrid a = c.members.get(0);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {7}).build());
            long before = a.topologyId();

            a.node().simulatePause(2_000);
            long started = System.nanoTime();
            assertEquals(7, a.store(NS).find(id, null).attribute("v")[0], "read after the pause");
            long waited = (System.nanoTime() - started) / 1_000_000;
            assertTrue(waited >= 1_000, "the read did not wait for the check after the pause: " + waited + " ms");
            assertEquals(before, a.topologyId(), "a member the others still counted rejoined");
            assertTrue(!a.node().isRejoining() && a.refusal().isEmpty(), "refusal: " + a.refusal());
        }
    }

    /**
     * The same short pause while another member falls silent (a partition cut at that moment, a member frozen): the
     * silent one cannot say whether it still counts this member, and it is still in the view while JGroups excludes
     * it. Its silence says nothing about this member's place: the check asks again once it has left the view, and
     * the paused member serves on with its copies. Setting them aside would have lost every segment whose other
     * owners sat across the cut (the fault matrix's 2|3 split under minority-refuses-writes: "Lost 134 segments").
     */
    @Test
    void aPauseWhileAnotherMemberFallsSilentCostsAWaitNotItsCopies() {
        // Failure detection (5 s) excludes the silent member only after the requests' remoteTimeout (2 s): the
        // check must outlast a request's wait, as in the fault matrix (remoteTimeout 5 s, failure detection 10 s).
        try (TestCluster c = new TestCluster("pausesilent", b -> b.remoteTimeout(2_000)
                .stackProperty("sessiongrid.failureDetectionTimeout", "5000")).start(4)) {
            SessionGrid a = c.members.get(0);
            SessionGrid d = c.members.get(3);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {7}).build());

            SilentMemberTest.silence(d);
            a.node().simulatePause(2_000);
            boolean[] rejoined = {false};
            Await.until("A serves again after its pause", Duration.ofSeconds(30), () -> {
                rejoined[0] |= a.node().isRejoining();
                try {
                    return a.store(NS).find(id, null).attribute("v")[0] == 7;
                } catch (GridUnavailableException held) {
                    return false;
                }
            });
            assertTrue(!rejoined[0], "A set its copies aside and rejoined although every member that answered counted it");
            assertTrue(!a.members().contains("D"), "A served before the silent member left the view: " + a.members());
        }
    }

    /**
     * While an exclusion of a member may still be under way after its pause (the check's first wait), it answers no
     * other member's read from its copies: a member that has not installed the view and topology without it yet
     * would read a copy the new primary may have changed since. The read waits until that wait is over (1.5 s here).
     */
    @Test
    void aMemberHoldingAfterAPauseAnswersNoOtherMembersReadFromItsCopies() {
        try (TestCluster c = new TestCluster("holdread").start(3)) {
            SessionGrid b = c.members.get(1);
            SessionGrid paused = c.members.get(2);
            String id = paused.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            paused.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {7}).build());
            assertEquals(paused.memberName(), b.store(NS).owners(id).primary());

            paused.node().simulatePause(2_000);
            long started = System.nanoTime();
            assertTrue(paused.refusal().isPresent(), "the paused member holds its requests");
            assertEquals(7, b.store(NS).find(id, null).attribute("v")[0], "read through another member");
            long waited = (System.nanoTime() - started) / 1_000_000;
            assertTrue(waited >= 1_000, "another member read the paused member's copy " + waited + " ms after its"
                    + " pause, while an exclusion of it could still be under way");
        }
    }

    /**
     * A member back from a pause finds every wait it had run out, its own silence counted against the members it
     * waited for: it suspects none of them while it checks whether it was excluded itself. In the fault matrix a
     * member back from a 1.2 s pause suspected every other member at once, and the checks that followed excluded
     * two live ones that answered late (a split farm before the fault began, sessions lost).
     */
    @Test
    void aMemberBackFromAPauseSuspectsNobodyWhileItChecks() {
        try (TestCluster c = new TestCluster("pausesuspects", b -> b.backupTimeout(300)).start(4)) {
            SessionGrid a = c.members.get(0);
            SessionGrid b = c.members.get(1);
            SessionGrid d = c.members.get(3);
            List<String> ids = new ArrayList<>();
            while (ids.size() < 4) {
                String id = UUID.randomUUID().toString();
                SessionOwners o = b.store(NS).owners(id);
                if ("A".equals(o.primary()) && o.backups().contains("D")) {
                    b.store(NS).create(id, SessionDelta.builder().build());
                    ids.add(id);
                }
            }
            long raised = a.metrics().getSuspicionsRaised();
            // A waits for D's answers (D silent) while its clock says it was paused: each wait runs past backupTimeout.
            SilentMemberTest.silence(d);
            a.node().simulatePause(2_000);
            Await.until("A checks after its pause", Duration.ofSeconds(5), () -> a.refusal().isPresent());
            List<Thread> writers = new ArrayList<>();
            for (String id : ids) {
                Thread t = new Thread(() -> {
                    try {
                        b.store(NS).commit(id, SessionDelta.builder().set("v", new byte[] {1}).build(), null);
                    } catch (RuntimeException expected) {
                        // D's exclusion or the pause may fail it; only A's suspicions matter here
                    }
                }, "writer-" + id);
                t.setDaemon(true);
                t.start();
                writers.add(t);
            }
            Await.until("A's check after its pause ends", Duration.ofSeconds(20), () -> a.refusal().isEmpty());
            assertEquals(raised, a.metrics().getSuspicionsRaised(), "A suspected a member while it checked after its"
                    + " own pause");
        }
    }

    /** The threshold is the timeout the stack really uses (test-loopback's own default, 3 s here), not a fixed 10 s. */
    @Test
    void aPauseCountsFromTheStacksOwnFailureDetectionTimeout() {
        try (TestCluster c = new TestCluster("pausestack").start(2)) {
            SessionGrid a = c.members.get(0);
            String id = a.store(NS).newLocalId(() -> UUID.randomUUID().toString());
            a.store(NS).create(id, SessionDelta.builder().set("v", new byte[] {1}).build());

            a.node().simulatePause(1_000);
            assertEquals(1, a.store(NS).find(id, null).attribute("v")[0], "a pause shorter than the timeout is harmless");

            long before = a.topologyId();
            a.node().simulatePause(5_000);
            try {
                a.store(NS).find(id, null);
                // The detector's tick may come between the pause and the read, and a rejoin of two members in
                // one JVM takes milliseconds: an answer is then allowed only from a member that has rejoined.
                assertTrue(a.topologyId() > before, "a 5 s pause on a stack that expels after 3 s was not noticed");
            } catch (GridUnavailableException e) {
                assertTrue(e.getMessage().contains("paused"), e.getMessage());
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
