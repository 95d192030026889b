package org.sessiongrid.transport;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.sessiongrid.placement.Member;
import org.sessiongrid.wire.GridMessage;

/**
 * What the data path needs of the cluster: this member's identity, who is in its view, and requests
 * answered by other members. {@link ClusterTransport} implements it over JGroups; a test implements it
 * with scripted members, so that the replication rules can be checked without a network.
 *
 * <p>Implementations are thread-safe: every method may be called from any thread.
 */
public interface Messenger {

    /** This member, or null before it connected. */
    Member self();

    /** True if {@code m} is in this member's current view. */
    boolean isInView(Member m);

    /** True if the member with this {@link Member#id()} is in this member's current view. */
    boolean isInView(String memberId);

    /** True once this member's own channel is closed (it stopped or crashed). */
    boolean isClosed();

    /**
     * Sends a request and completes with the reply; completes exceptionally with
     * {@link MemberGoneException} if the target is not in the view or leaves before answering, with a
     * {@link java.util.concurrent.TimeoutException} after {@code timeoutMillis}.
     */
    CompletableFuture<GridMessage> request(Member target, GridMessage request, long timeoutMillis);

    /** Sends one request to each target and returns one future per target, in the same order. */
    default List<CompletableFuture<GridMessage>> requestEach(List<Member> targets, GridMessage request,
                                                             long timeoutMillis) {
        List<CompletableFuture<GridMessage>> out = new ArrayList<>(targets.size());
        for (Member t : targets) {
            out.add(request(t, request, timeoutMillis));
        }
        return out;
    }

    /**
     * Sends a request to every given member except this one and waits for all replies, members that
     * leave meanwhile, or the timeout; returns the replies received.
     */
    Map<Member, GridMessage> requestAll(Collection<Member> targets, GridMessage request, long timeoutMillis);
}
