package org.sessiongrid.transport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.jgroups.blocks.Response;
import org.jgroups.util.ExtendedUUID;
import org.jgroups.util.Rsp;
import org.jgroups.util.RspList;
import org.sessiongrid.placement.Member;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.MalformedMessageException;
import org.sessiongrid.wire.WireCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/response messaging between grid members over one JGroups channel.
 *
 * <p>Every request is sent OOB so that JGroups does not serialize unrelated sessions behind one
 * sender's FIFO order (the grid orders what must be ordered itself: per key at the primary, per
 * topology id everywhere). Handlers run on our own executor, never on a JGroups thread, because a
 * primary's handler blocks until its backups answer and a blocked JGroups thread could starve the
 * very replies it waits for.
 *
 * <p>Member identity: a member's {@link Member#id()} is its address UUID; its name and machine, rack
 * and site tags travel inside the address ({@link ExtendedUUID}), so every node derives the same
 * {@code Member} from a view without asking anyone.
 */
public final class ClusterTransport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterTransport.class);
    private static final String KEY_NAME = "sg.name";
    private static final String KEY_SITE = "sg.site";
    private static final String KEY_RACK = "sg.rack";
    private static final String KEY_MACHINE = "sg.machine";

    private final JChannel channel;
    private final WireCodec codec;
    private final MessageDispatcher dispatcher;
    private final ThreadPoolExecutor executor;
    private final DropCounter drops;
    private volatile RequestHandler handler = (s, r) -> new GridMessage.Failure("node is starting");
    private volatile Consumer<View> viewListener = v -> { };
    private volatile Map<String, Address> addresses = Map.of();
    private volatile Member self;

    /** Counts what the transport dropped, by reason; the grid's metrics read it. */
    public interface DropCounter {
        void dropped(String reason);
    }

    /**
     * Wraps a channel that is configured but not yet connected.
     *
     * @param name          the member's display name (JGroups logical name)
     * @param site          site tag or null
     * @param rack          rack tag or null
     * @param machine       machine tag or null
     * @param maxHandlers   most request handlers running at once; further requests are answered
     *                      "retry" rather than queued without bound
     */
    public ClusterTransport(JChannel channel, WireCodec codec, String name, String site, String rack, String machine,
                            int maxHandlers, DropCounter drops) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.drops = drops;
        channel.name(name);
        channel.addAddressGenerator(() -> {
            ExtendedUUID a = ExtendedUUID.randomUUID(name);
            a.put(KEY_NAME, name.getBytes(StandardCharsets.UTF_8));
            putTag(a, KEY_SITE, site);
            putTag(a, KEY_RACK, rack);
            putTag(a, KEY_MACHINE, machine);
            return a;
        });
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(4, maxHandlers, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "sessiongrid-" + name + "-handler-" + threads.incrementAndGet());
            t.setDaemon(true);
            // Not the submitter's (possibly a webapp's) loader: the grid outlives webapp reloads.
            t.setContextClassLoader(ClusterTransport.class.getClassLoader());
            return t;
        });
        this.dispatcher = new MessageDispatcher(channel).asyncDispatching(true);
        dispatcher.setRequestHandler(new org.jgroups.blocks.RequestHandler() {
            @Override
            public Object handle(Message msg) {
                throw new UnsupportedOperationException("async dispatching only");
            }

            @Override
            public void handle(Message msg, Response response) {
                dispatch(msg, response);
            }
        });
        dispatcher.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View view) {
                onView(view);
            }
        });
    }

    private static void putTag(ExtendedUUID a, String key, String value) {
        if (value != null && !value.isEmpty()) {
            a.put(key, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The member a JGroups address stands for. */
    public static Member memberOf(Address a) {
        String id = a instanceof org.jgroups.util.UUID u ? u.toStringLong() : a.toString();
        if (a instanceof ExtendedUUID e) {
            return new Member(id, tag(e, KEY_NAME), tag(e, KEY_SITE), tag(e, KEY_RACK), tag(e, KEY_MACHINE));
        }
        return new Member(id, a.toString(), null, null, null);
    }

    private static String tag(ExtendedUUID e, String key) {
        byte[] b = e.get(key);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    public void setHandler(RequestHandler handler) {
        this.handler = handler;
    }

    public void setViewListener(Consumer<View> listener) {
        this.viewListener = listener;
    }

    public void connect(String clusterName) throws Exception {
        channel.connect(clusterName);
    }

    private void onView(View view) {
        Map<String, Address> m = new HashMap<>();
        for (Address a : view.getMembers()) {
            m.put(memberOf(a).id(), a);
        }
        addresses = Map.copyOf(m);
        unseenBy.clear();
        viewListener.accept(view);
    }

    /** This member; known once {@link #connect} began (the address exists before the first view). */
    public Member self() {
        Member s = self;
        if (s == null && channel.getAddress() != null) {
            s = self = memberOf(channel.getAddress());
        }
        return s;
    }

    public View view() {
        return channel.getView();
    }

    /** Members of the current view, in view order (the first is the JGroups coordinator). */
    public List<Member> viewMembers() {
        View v = channel.getView();
        List<Member> out = new ArrayList<>();
        if (v != null) {
            for (Address a : v.getMembers()) {
                out.add(memberOf(a));
            }
        }
        return out;
    }

    public boolean isInView(Member m) {
        return addresses.containsKey(m.id());
    }

    /**
     * True if {@code m} is in this member's view and has not recently refused this member as absent
     * from its own view ({@link GridMessage.Retry#isNotInView()}). A refusal counts until {@code m}
     * answers anything else, this member's view changes, or {@value #UNSEEN_MILLIS} ms pass.
     */
    public boolean isMutuallyInView(Member m) {
        if (!isInView(m)) {
            return false;
        }
        Long since = unseenBy.get(m.id());
        return since == null || System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(UNSEEN_MILLIS);
    }

    /** How long a "you are not in my view" answer counts (see {@link #isMutuallyInView}). */
    static final long UNSEEN_MILLIS = 10_000;
    /** Members that answered "you are not in my view", with the time of that answer (nanoTime). */
    private final Map<String, Long> unseenBy = new java.util.concurrent.ConcurrentHashMap<>();

    private void noteReply(Member from, GridMessage reply) {
        if (reply instanceof GridMessage.Retry r && r.isNotInView()) {
            unseenBy.put(from.id(), System.nanoTime());
        } else if (!unseenBy.isEmpty()) {
            // Every reply passes here: the map is empty unless views disagree, so skip the removal then.
            unseenBy.remove(from.id());
        }
    }

    /** True if the member with this {@link Member#id()} is in the view. */
    public boolean isInView(String memberId) {
        return addresses.containsKey(memberId);
    }

    /** True once this member's channel is closed or disconnected (it stopped or crashed). */
    public boolean isClosed() {
        return channel.isClosed() || !channel.isConnected();
    }

    public JChannel channel() {
        return channel;
    }

    private void dispatch(Message msg, Response response) {
        Member sender = memberOf(msg.getSrc());
        GridMessage request;
        try {
            request = codec.decode(msg.getArray() == null ? null
                    : msg.getOffset() == 0 && msg.getLength() == msg.getArray().length ? msg.getArray()
                    : java.util.Arrays.copyOfRange(msg.getArray(), msg.getOffset(), msg.getOffset() + msg.getLength()));
        } catch (MalformedMessageException e) {
            drops.dropped(e.reason().name().toLowerCase(java.util.Locale.ROOT));
            LOG.warn("Dropped a malformed message from {}: {}", sender, e.getMessage());
            reply(response, msg.getSrc(), new GridMessage.Failure("malformed message: " + e.getMessage()));
            return;
        }
        try {
            executor.execute(() -> {
                GridMessage reply;
                try {
                    reply = handler.handle(sender, request);
                } catch (RuntimeException e) {
                    LOG.error("Handling {} from {} failed", request.getClass().getSimpleName(), sender, e);
                    reply = new GridMessage.Failure(e.toString());
                }
                reply(response, msg.getSrc(), reply);
            });
        } catch (RejectedExecutionException e) {
            drops.dropped("busy");
            reply(response, msg.getSrc(), new GridMessage.Retry(0));
        }
    }

    private void reply(Response response, Address requester, GridMessage reply) {
        if (response == null) {
            return;
        }
        try {
            // The destination must be the requester: JGroups sends a reply Message as given, and one
            // without a destination would be multicast and could complete another member's request
            // that happens to have the same request id.
            response.send(new BytesMessage(requester, codec.encode(reply)).setFlag(Message.Flag.OOB), false);
        } catch (IllegalStateException e) {
            // The channel closed while the handler ran (shutdown): the requester sees this member leave.
            LOG.debug("Reply not sent: {}", e.getMessage());
        }
    }

    /**
     * Sends a request and completes with the decoded reply; completes exceptionally with
     * {@link MemberGoneException} if the target is not in the view or leaves before answering, with a
     * {@link java.util.concurrent.TimeoutException} after {@code timeoutMillis}.
     */
    public CompletableFuture<GridMessage> request(Member target, GridMessage request, long timeoutMillis) {
        return send(target, codec.encode(request), timeoutMillis);
    }

    /**
     * Sends one request to each target, encoding it once (a primary's change goes to every backup),
     * and returns one future per target in the same order.
     */
    public List<CompletableFuture<GridMessage>> requestEach(List<Member> targets, GridMessage request,
                                                            long timeoutMillis) {
        byte[] bytes = codec.encode(request);
        List<CompletableFuture<GridMessage>> out = new ArrayList<>(targets.size());
        for (Member t : targets) {
            out.add(send(t, bytes, timeoutMillis));
        }
        return out;
    }

    private CompletableFuture<GridMessage> send(Member target, byte[] bytes, long timeoutMillis) {
        Address a = addresses.get(target.id());
        if (a == null) {
            return CompletableFuture.failedFuture(new MemberGoneException(target + " is not in the view"));
        }
        // JGroups does not copy the array, and nothing writes to it after encoding: sharing it between
        // the messages to several targets is safe.
        Message msg = new BytesMessage(a, bytes).setFlag(Message.Flag.OOB);
        try {
            CompletableFuture<Object> f = dispatcher.sendMessageWithFuture(msg,
                    new RequestOptions(ResponseMode.GET_ALL, timeoutMillis).flags(Message.Flag.OOB));
            return f.handle((rsp, ex) -> {
                if (ex != null) {
                    Throwable cause = ex instanceof java.util.concurrent.CompletionException && ex.getCause() != null
                            ? ex.getCause() : ex;
                    if (cause instanceof org.jgroups.SuspectedException) {
                        throw new java.util.concurrent.CompletionException(
                                new MemberGoneException(target + " left while a request was pending"));
                    }
                    throw new java.util.concurrent.CompletionException(cause);
                }
                return decodeReply(target, rsp);
            });
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private GridMessage decodeReply(Member from, Object rsp) {
        byte[] bytes = rsp instanceof byte[] b ? b : null;
        try {
            GridMessage reply = codec.decode(bytes);
            noteReply(from, reply);
            return reply;
        } catch (MalformedMessageException e) {
            drops.dropped(e.reason().name().toLowerCase(java.util.Locale.ROOT));
            throw new java.util.concurrent.CompletionException(
                    new IllegalStateException("malformed reply from " + from + ": " + e.getMessage()));
        }
    }

    /**
     * Sends a request to every given member (except this one) and waits for all replies, members
     * that leave meanwhile, or the timeout; returns the replies received.
     */
    public Map<Member, GridMessage> requestAll(Collection<Member> targets, GridMessage request, long timeoutMillis) {
        List<Address> dests = new ArrayList<>();
        for (Member m : targets) {
            Address a = addresses.get(m.id());
            if (a != null && !m.equals(self)) {
                dests.add(a);
            }
        }
        Map<Member, GridMessage> out = new HashMap<>();
        if (dests.isEmpty()) {
            return out;
        }
        try {
            RspList<Object> rsps = dispatcher.castMessage(dests, new BytesMessage(null, codec.encode(request))
                    .setFlag(Message.Flag.OOB), new RequestOptions(ResponseMode.GET_ALL, timeoutMillis)
                    .anycasting(true).flags(Message.Flag.OOB));
            for (Map.Entry<Address, Rsp<Object>> e : rsps.entrySet()) {
                Rsp<Object> r = e.getValue();
                if (r.wasReceived() && !r.hasException()) {
                    try {
                        out.put(memberOf(e.getKey()), decodeReply(memberOf(e.getKey()), r.getValue()));
                    } catch (RuntimeException malformed) {
                        LOG.warn("{}", malformed.getCause() == null ? malformed : malformed.getCause().getMessage());
                    }
                }
            }
        } catch (Exception e) {
            LOG.warn("Request to {} members failed: {}", dests.size(), e.toString());
        }
        return out;
    }

    @Override
    public void close() {
        try {
            dispatcher.stop();
        } catch (RuntimeException e) {
            LOG.debug("dispatcher stop", e);
        }
        channel.close();
        executor.shutdownNow();
    }

    /** Closes the channel without a graceful leave, as a crash would; for tests. */
    public void crash() throws Exception {
        org.jgroups.util.Util.shutdown(channel);
        executor.shutdownNow();
    }
}
