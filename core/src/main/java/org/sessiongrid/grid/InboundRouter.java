package org.sessiongrid.grid;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.transport.RequestHandler;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.Retry;
import org.sessiongrid.wire.GridMessage.TopologyUpdate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests from other members: one table keyed by message type, each entry a handler and the
 * {@link Rule}s the request passes before it, checked here in one place and one order.
 *
 * <p>Thread safety: the table is filled by the composition root before the transport delivers anything
 * ({@link #on}) and only read afterwards; requests arrive on the transport's handler threads and, for the
 * types that allow it, on the JGroups thread that delivered them.
 */
final class InboundRouter implements RequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(InboundRouter.class);

    /** What a request of a type must pass before its handler runs. */
    enum Rule {
        /**
         * Changes what this member holds or decides: taken only from members in this member's view. After
         * a partition heals, JGroups can briefly hold two views that each leave out the other's
         * coordinator, and two coordinators installing topologies on the same members (or a primary this
         * member does not see writing to it) would mix two clusters' decisions.
         */
        CHANGES_STATE,
        /**
         * Taken only from this member's own coordinator: while views disagree (right after a heal, or a
         * member the others excluded), two coordinators can each count this member as theirs, and
         * installing both would mix two clusters' placements. A member left behind catches up from its
         * coordinator or is merged.
         */
        FROM_COORDINATOR,
        /** Part of a merge: its sender waits longer for this member's view to show it (views still settle). */
        MERGE,
        /** Serves or changes copies: refused while this member rejoins after a pause (its copies are gone). */
        SERVES_COPIES,
        /**
         * Answers from this member's copies (a read, a segment's transfer): refused as well while an exclusion of
         * this member may still be under way after a pause (its clock shows the pause, or its check still waits
         * for the verifications that may have started during it): a member that has not yet installed the view
         * and topology without it still names it primary, and its copy may miss what the new primary stored. A
         * backup's apply and a primary's commit are not: the one only brings a copy forward, the other is
         * answered only once the backups of the same topology applied it.
         */
        ANSWERS_FROM_COPIES,
        /** A change of records: refused between this member's merge push and its install of the merged topology. */
        FENCED_BY_MERGE,
        /**
         * May be answered on the JGroups thread that delivered it (see
         * {@link RequestHandler#handleWithoutBlocking}): a backup applying its primary's change, on every
         * write, and a primary answering a read from another member, on every request a balancer sends
         * elsewhere, need on their usual path no lock another thread holds for long, no wait and no message
         * of their own. Everything else may wait (a primary's commit waits for its backups, a coordinator's
         * decisions for other members), sends (a primary forwards access times to its backups), may take
         * long (a touch batch holds up to 65,536 entries) or is too rare to be worth a second path.
         */
        ON_DELIVERY_THREAD
    }

    /** Answers one type of request. */
    @FunctionalInterface
    interface Handler<M extends GridMessage> {
        /**
         * @param mayWait false on the JGroups thread that delivered the request: then, wherever the answer
         *                would need a wait, null, before anything changed (the transport then asks again on
         *                its executor)
         */
        GridMessage handle(Member sender, M request, boolean mayWait)
                throws InterruptedException, ExecutionException, TimeoutException;
    }

    private record Route<M extends GridMessage>(Class<M> type, Set<Rule> rules, Handler<M> handler) {
        GridMessage handle(Member sender, GridMessage request, boolean mayWait)
                throws InterruptedException, ExecutionException, TimeoutException {
            return handler.handle(sender, type.cast(request), mayWait);
        }
    }

    private final Map<Class<?>, Route<?>> routes = new HashMap<>();
    private final View view;
    private final MergeFence fence;
    private final GridStats stats;
    private final BooleanSupplier rejoining;
    private final BooleanSupplier holding;
    private final BooleanSupplier closed;
    private final long remoteTimeout;
    private final long leaveTimeout;

    /**
     * This member's view of the cluster, as the rules need it (in a member,
     * {@link org.sessiongrid.transport.ClusterTransport}'s).
     *
     * @param members the current view, coordinator first
     */
    record View(Supplier<Member> self, Supplier<List<Member>> members, Predicate<Member> contains) {
    }

    /**
     * The merge fence (in a member, {@link org.sessiongrid.replication.MergeParticipant}'s): changes of records
     * wait while it is up.
     *
     * @param topologyId the merged topology's id they wait for
     */
    record MergeFence(BooleanSupplier up, LongSupplier topologyId) {
    }

    /**
     * @param rejoining true while this member rejoins after a pause (see {@link Rule#SERVES_COPIES})
     * @param holding   true while an exclusion of it may be under way after a pause (see {@link Rule#ANSWERS_FROM_COPIES})
     */
    InboundRouter(View view, MergeFence fence, GridStats stats, BooleanSupplier rejoining, BooleanSupplier holding,
                  BooleanSupplier closed, long remoteTimeout, long leaveTimeout) {
        this.view = view;
        this.fence = fence;
        this.stats = stats;
        this.rejoining = rejoining;
        this.holding = holding;
        this.closed = closed;
        this.remoteTimeout = remoteTimeout;
        this.leaveTimeout = leaveTimeout;
    }

    /** Routes requests of {@code type} to {@code handler} once they passed {@code rules}. */
    <M extends GridMessage> InboundRouter on(Class<M> type, Set<Rule> rules, Handler<M> handler) {
        routes.put(type, new Route<>(type, rules.isEmpty() ? EnumSet.noneOf(Rule.class) : EnumSet.copyOf(rules),
                handler));
        return this;
    }

    /** As {@link #on(Class, Set, Handler)} without rules. */
    <M extends GridMessage> InboundRouter on(Class<M> type, Handler<M> handler) {
        return on(type, Set.of(), handler);
    }

    /** A handler's answer for requests that only need their sender to know they were handled: runs it, answers Ack. */
    static GridMessage acked(Runnable action) {
        action.run();
        return new GridMessage.Ack();
    }

    @Override
    public GridMessage handle(Member sender, GridMessage request) {
        return route(sender, request, true);
    }

    @Override
    public GridMessage handleWithoutBlocking(Member sender, GridMessage request) {
        Route<?> route = routes.get(request.getClass());
        return route != null && route.rules().contains(Rule.ON_DELIVERY_THREAD) ? route(sender, request, false) : null;
    }

    private GridMessage route(Member sender, GridMessage msg, boolean mayWait) {
        Route<?> route = routes.get(msg.getClass());
        if (route == null) {
            if (!mayWait) {
                return null;
            }
            stats.dropped("unexpected-type");
            return new Failure("unexpected request " + msg.getClass().getSimpleName());
        }
        Set<Rule> rules = route.rules();
        if (!mayWait && !rules.contains(Rule.ON_DELIVERY_THREAD)) {
            return null;
        }
        if (rejoining.getAsBoolean() && rules.contains(Rule.SERVES_COPIES)
                || rules.contains(Rule.ANSWERS_FROM_COPIES) && holding.getAsBoolean()) {
            return new Retry(0);
        }
        try {
            long viewWait = rules.contains(Rule.MERGE) ? leaveTimeout / 2 : remoteTimeout / 2;
            if (rules.contains(Rule.CHANGES_STATE)) {
                if (!mayWait && !view.contains().test(sender)) {
                    return null;
                }
                if (!viewSoon(() -> view.contains().test(sender), viewWait)) {
                    stats.dropped("sender-not-in-view");
                    LOG.debug("{} refused {} from {}: not in this member's view {}", view.self().get(),
                            msg.getClass().getSimpleName(), sender, view.members().get());
                    return Retry.notInView();
                }
            }
            if (rules.contains(Rule.FROM_COORDINATOR) && !viewSoon(() -> isCoordinator(sender), viewWait)) {
                stats.dropped("sender-not-coordinator");
                LOG.info("{} refused {} from {}: not the coordinator of this member's view {}", view.self().get(),
                        describe(msg), sender, view.members().get());
                return new Retry(0);
            }
            if (rules.contains(Rule.FENCED_BY_MERGE) && fence.up().getAsBoolean()) {
                return new Retry(fence.topologyId().getAsLong());
            }
            return route.handle(sender, msg, mayWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            return new Failure(String.valueOf(e.getCause() == null ? e : e.getCause()));
        }
    }

    private boolean isCoordinator(Member m) {
        List<Member> members = view.members().get();
        return !members.isEmpty() && members.get(0).equals(m);
    }

    private static String describe(GridMessage msg) {
        return msg instanceof TopologyUpdate u ? "topology " + u.topology().id() : msg.getClass().getSimpleName();
    }

    /**
     * True once {@code condition} holds, waiting up to {@code waitMillis}: a view lags behind on some
     * members (a merge view can arrive seconds later on one of them), and the sender, which already sees
     * this member, should not have to retry for that.
     */
    private boolean viewSoon(BooleanSupplier condition, long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (!condition.getAsBoolean()) {
            if (closed.getAsBoolean() || System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
