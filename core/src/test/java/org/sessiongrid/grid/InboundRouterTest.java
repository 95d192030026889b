package org.sessiongrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.InboundRouter.Rule;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.Retry;

/**
 * The inbound router's admission rules, each on its own, without a cluster: which requests reach their
 * handler, which are refused with what, and which are left to the executor when they arrive on the
 * JGroups thread.
 */
class InboundRouterTest {

    private static final Member SELF = new Member("self", "self");
    private static final Member COORDINATOR = new Member("coord", "coord");
    private static final Member OTHER = new Member("other", "other");
    private static final Member STRANGER = new Member("stranger", "stranger");
    private static final GridMessage COMMIT = CommitRequest.create(5, new SessionKey("localhost/router", "S1"),
            SessionDelta.builder().build(), 1);
    private static final GridMessage QUERY = new GridMessage.TopologyQuery();
    private static final GridMessage TOUCHES = new GridMessage.TouchBatch(List.of(), false);

    private final GridStats stats = new GridStats();
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private volatile boolean rejoining;
    private volatile boolean holding;
    private volatile boolean fenced;

    /** The message types stand in for any with the same rules; a commit gets {@code commitRules}. */
    private InboundRouter router(Set<Rule> commitRules) {
        List<Member> view = List.of(COORDINATOR, SELF, OTHER);
        return new InboundRouter(new InboundRouter.View(() -> SELF, () -> view, view::contains),
                new InboundRouter.MergeFence(() -> fenced, () -> 9), stats, () -> rejoining, () -> holding, () -> false,
                100, 100)
                .on(CommitRequest.class, commitRules, (from, c, mayWait) -> {
                    handled.add("commit from " + from.id() + (mayWait ? "" : " on the delivery thread"));
                    return new Ack();
                })
                .on(GridMessage.TopologyQuery.class, EnumSet.of(Rule.FROM_COORDINATOR), (from, q, w) -> {
                    handled.add("query from " + from.id());
                    return new Ack();
                })
                .on(GridMessage.TouchBatch.class, (from, b, w) -> {
                    throw new ExecutionException(new IllegalStateException("touches failed"));
                });
    }

    @Test
    void aRequestThatPassesItsRulesReachesItsHandler() {
        InboundRouter r = router(EnumSet.of(Rule.CHANGES_STATE, Rule.SERVES_COPIES, Rule.FENCED_BY_MERGE));
        assertInstanceOf(Ack.class, r.handle(OTHER, COMMIT));
        assertEquals(List.of("commit from other"), handled);
    }

    @Test
    void aTypeWithoutARouteIsDroppedAndCounted() {
        InboundRouter r = router(EnumSet.noneOf(Rule.class));
        GridMessage unknown = new GridMessage.SegmentCounts(new int[0], new int[0]);
        assertNull(r.handleWithoutBlocking(OTHER, unknown), "left to the executor first");
        assertInstanceOf(Failure.class, r.handle(OTHER, unknown));
        assertEquals(1L, stats.droppedByReason().get("unexpected-type"));
    }

    @Test
    void onlyTypesThatAllowItAreAnsweredOnTheDeliveryThread() {
        InboundRouter plain = router(EnumSet.of(Rule.CHANGES_STATE));
        assertNull(plain.handleWithoutBlocking(OTHER, COMMIT));
        assertEquals(List.of(), handled);

        InboundRouter fast = router(EnumSet.of(Rule.CHANGES_STATE, Rule.ON_DELIVERY_THREAD));
        assertInstanceOf(Ack.class, fast.handleWithoutBlocking(OTHER, COMMIT));
        // A sender not in the view would need a wait for the view: not on the delivery thread.
        assertNull(fast.handleWithoutBlocking(STRANGER, COMMIT));
        assertEquals(List.of("commit from other on the delivery thread"), handled);
    }

    @Test
    void aChangeFromASenderOutsideTheViewIsRefusedAfterAWait() {
        InboundRouter r = router(EnumSet.of(Rule.CHANGES_STATE));
        long started = System.nanoTime();
        GridMessage reply = r.handle(STRANGER, COMMIT);
        assertTrue(reply instanceof Retry retry && retry.isNotInView(), String.valueOf(reply));
        assertTrue(System.nanoTime() - started >= 40_000_000L, "waited for a lagging view (remoteTimeout / 2)");
        assertEquals(1L, stats.droppedByReason().get("sender-not-in-view"));
        assertEquals(List.of(), handled);
    }

    @Test
    void aTopologyIsTakenOnlyFromThisMembersCoordinator() {
        InboundRouter r = router(EnumSet.noneOf(Rule.class));
        assertEquals(new Retry(0), r.handle(OTHER, QUERY));
        assertEquals(1L, stats.droppedByReason().get("sender-not-coordinator"));
        assertInstanceOf(Ack.class, r.handle(COORDINATOR, QUERY));
        assertEquals(List.of("query from coord"), handled);
    }

    @Test
    void copiesAreNotServedWhileRejoiningNorChangedWhileTheMergeFenceIsUp() {
        InboundRouter r = router(EnumSet.of(Rule.SERVES_COPIES, Rule.FENCED_BY_MERGE));
        rejoining = true;
        assertEquals(new Retry(0), r.handle(OTHER, COMMIT));
        assertInstanceOf(Ack.class, r.handle(COORDINATOR, QUERY), "a request that serves no copy is answered");
        rejoining = false;
        fenced = true;
        assertEquals(new Retry(9), r.handle(OTHER, COMMIT), "wait for the merged topology");
        fenced = false;
        assertInstanceOf(Ack.class, r.handle(OTHER, COMMIT));
        assertEquals(List.of("query from coord", "commit from other"), handled);
    }

    @Test
    void whileThisMemberHoldsAfterAPauseItAnswersNothingFromItsCopiesButStillAppliesChanges() {
        InboundRouter answers = router(EnumSet.of(Rule.SERVES_COPIES, Rule.ANSWERS_FROM_COPIES, Rule.ON_DELIVERY_THREAD));
        InboundRouter applies = router(EnumSet.of(Rule.SERVES_COPIES, Rule.ON_DELIVERY_THREAD));
        holding = true;
        assertEquals(new Retry(0), answers.handle(OTHER, COMMIT));
        assertEquals(new Retry(0), answers.handleWithoutBlocking(OTHER, COMMIT), "refused on the delivery thread too");
        assertInstanceOf(Ack.class, applies.handle(OTHER, COMMIT), "a change that answers nothing from the copies");
        holding = false;
        assertInstanceOf(Ack.class, answers.handle(OTHER, COMMIT));
        assertEquals(List.of("commit from other", "commit from other"), handled);
    }

    @Test
    void aHandlersFailureIsAnsweredAsAFailure() {
        InboundRouter r = router(EnumSet.noneOf(Rule.class));
        GridMessage reply = r.handle(OTHER, TOUCHES);
        assertTrue(reply instanceof Failure f && f.message().contains("touches failed"), String.valueOf(reply));
    }
}
