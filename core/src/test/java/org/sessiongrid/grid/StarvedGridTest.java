package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

import org.junit.jupiter.api.Test;

/**
 * A starved machine (a 6-node farm on 2 cores at a load of 20 to 40) makes every member answer late: replicates
 * and JGroups' ARE_YOU_DEAD alike. Every member is then suspected, and each check a member answers late excludes
 * it although it is alive. Such exclusions are guesses: they must never take the last owner of a segment, so no
 * session is lost and every acknowledged write is still readable once the machine is fast again
 * (docs/design.md, "A starved machine").
 *
 * <p>Five members, {@code numOwners=2} (two exclusions suffice to lose segments), every member's inbound traffic
 * delayed by {@value #DELAY_MILLIS} ms ({@link SlowLink}): a round trip takes twice that, longer than both
 * {@code backupTimeout} and {@code verifySuspectTimeout}. Failure detection is at 10 s, so only suspicions exclude.
 */
class StarvedGridTest {

    private static final String NS = SilentMemberTest.NS;
    private static final long DELAY_MILLIS = 400;
    private static final int MEMBERS = 5;

    private static long sum(List<SessionGrid> members, ToLongFunction<SessionGrid> metric) {
        return members.stream().mapToLong(metric).sum();
    }

    @Test
    void everyMemberSlowedAtOnceLosesNoSessionAndNoAcknowledgedWrite() throws Exception {
        try (TestCluster c = new TestCluster("starved", b -> b.numOwners(2).backupTimeout(300).remoteTimeout(8_000)
                .stackProperty("sessiongrid.failureDetectionTimeout", "10000")
                .stackProperty("sessiongrid.verifySuspectTimeout", "300")).start(MEMBERS)) {
            List<SessionGrid> all = List.copyOf(c.members);
            List<String> ids = SilentMemberTest.sessions(all.get(0), 20, o -> true);
            CounterLoad load = new CounterLoad(NS, ids, all).start();
            List<SlowLink> links = new ArrayList<>();
            try {
                SilentMemberTest.awaitProgress(load, 3);
                for (SessionGrid g : all) {
                    links.add(SlowLink.under(g, DELAY_MILLIS, 0));
                }
                // Slow until the member acting on suspicions has decided on several: excluded (they answered its
                // check late), or left to failure detection.
                Await.until("suspects were decided on", Duration.ofSeconds(30),
                        () -> sum(all, g -> g.metrics().getSuspectsExcluded() + g.metrics().getExclusionsDeferred()) >= 4
                                || sum(all, g -> g.metrics().getLostSegments()) > 0,
                        () -> "raised " + sum(all, g -> g.metrics().getSuspicionsRaised()));
            } finally {
                links.forEach(SlowLink::heal);
            }
            try {
                Await.until("every member sees every other again", Duration.ofSeconds(60),
                        () -> all.stream().allMatch(g -> g.members().size() == MEMBERS),
                        () -> all.stream().map(g -> g.memberName() + ":" + g.members()).toList().toString());
                c.awaitStable();
                // A member excluded meanwhile rejoins and refuses until it has; a member the delay made think it
                // was paused checks first.
                Await.until("every member serves", Duration.ofSeconds(60),
                        () -> all.stream().allMatch(g -> g.refusal().isEmpty()),
                        () -> all.stream().map(g -> g.memberName() + ":" + g.refusal()).toList().toString());
                c.awaitStable();
                SilentMemberTest.awaitProgress(load, 2);
            } finally {
                load.close();
            }
            assertNull(load.firstError, load.firstError);
            assertEquals(0, sum(all, g -> g.metrics().getLostSegments()), "segments lost although every member was"
                    + " alive (excluded " + sum(all, g -> g.metrics().getSuspectsExcluded()) + ", deferred "
                    + sum(all, g -> g.metrics().getExclusionsDeferred()) + ")");
            GridAssertions.countersSurvived(c, NS, load);
            GridAssertions.ownersComplete(c, 2);
        }
    }
}
