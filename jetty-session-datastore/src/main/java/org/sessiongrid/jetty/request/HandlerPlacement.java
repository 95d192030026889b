package org.sessiongrid.jetty.request;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Collectors;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;

/**
 * Where {@link SessionGridRequestHandler} stands relative to a context's session handler in the
 * server's handler tree. It works only as an ancestor of the session handler: its request scope must
 * be open when the session handler looks the session up, and its stream wrapper must be added before
 * the session handler's (so that a send reaches it after the session was saved for it).
 */
public final class HandlerPlacement {

    /** What the tree says. */
    public enum Verdict {
        /** A SessionGridRequestHandler is an ancestor of the session handler. */
        IN_FRONT,
        /** The server has no SessionGridRequestHandler. */
        MISSING,
        /** The server has one, but not on the way from the server to the session handler. */
        MISPLACED,
        /** The session handler is not (yet) in the server's handler tree: nothing to tell. */
        NOT_IN_TREE
    }

    private HandlerPlacement() {
    }

    public static Verdict of(Server server, Handler sessionHandler) {
        List<Handler> path = pathTo(server, sessionHandler);
        if (path == null) {
            return Verdict.NOT_IN_TREE;
        }
        if (path.stream().anyMatch(SessionGridRequestHandler.class::isInstance)) {
            return Verdict.IN_FRONT;
        }
        return server.getDescendant(SessionGridRequestHandler.class) == null ? Verdict.MISSING : Verdict.MISPLACED;
    }

    /**
     * The message a store fails its start with, for a verdict other than {@link Verdict#IN_FRONT}.
     *
     * @param what the store and context, e.g. "SessionGrid store of context /app"
     */
    public static String problem(Verdict verdict, Server server, Handler sessionHandler, String what) {
        String need = what + " needs org.sessiongrid.jetty.request.SessionGridRequestHandler in front of its session"
                + " handler (an ancestor of it in the server's handler tree): it saves the session before the"
                + " response's first byte leaves and answers 503 when that save fails, and a request whose session"
                + " the grid cannot produce must fail instead of starting an empty session. ";
        String fix = "Fix: call server.insertHandler(new SessionGridRequestHandler()) before the server starts, which"
                + " puts it in front of every context (the jetty-home module session-store-sessiongrid does it).";
        return switch (verdict) {
            case MISSING -> need + "The server has none. " + fix;
            case MISPLACED -> need + "The server's " + where(server, sessionHandler)
                    + ", not in front of this context's session handler. " + fix;
            case NOT_IN_TREE -> need + "The session handler is not in the server's handler tree, so this cannot be"
                    + " checked at start. " + fix;
            case IN_FRONT -> null;
        };
    }

    private static String where(Server server, Handler sessionHandler) {
        return server.getDescendants(SessionGridRequestHandler.class).stream().map(h -> {
            Handler.Container inside = parentOf(server, h);
            boolean behind = sessionHandler instanceof Handler.Container c && c.getDescendants().contains(h);
            return h.getClass().getSimpleName() + " is " + (behind ? "behind the session handler" : "inside "
                    + (inside == null ? "?" : inside.getClass().getSimpleName() + describe(inside)));
        }).collect(Collectors.joining("; "));
    }

    private static String describe(Handler h) {
        return h instanceof org.eclipse.jetty.server.handler.ContextHandler c ? " " + c.getContextPath() : "";
    }

    private static Handler.Container parentOf(Server server, Handler child) {
        List<Handler> path = pathTo(server, child);
        return path == null || path.size() < 2 ? null : (Handler.Container) path.get(path.size() - 2);
    }

    /** The handlers from {@code root} down to {@code target}, both included, or null if it is not below root. */
    static List<Handler> pathTo(Handler.Container root, Handler target) {
        Deque<Handler> path = new ArrayDeque<>();
        path.addLast(root);
        return search(root, target, path) ? List.copyOf(path) : null;
    }

    private static boolean search(Handler.Container container, Handler target, Deque<Handler> path) {
        for (Handler child : container.getHandlers()) {
            if (child == null) {
                continue;
            }
            path.addLast(child);
            if (child == target || (child instanceof Handler.Container c && search(c, target, path))) {
                return true;
            }
            path.removeLast();
        }
        return false;
    }
}
