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
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.threads.MemberThreads;
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
 * topology id everywhere).
 *
 * <p>No handler ever blocks a JGroups thread: a primary's handler blocks until its backups answer,
 * and a blocked JGroups thread could starve the very replies it waits for. A request runs on our own
 * executor unless {@link RequestHandler#handleWithoutBlocking} answers it at once on the delivering
 * thread (a backup applying a change), and what is sent from a JGroups thread (those answers, and the
 * refusals of malformed requests or of requests beyond {@code maxHandlers}) is sent so that it cannot
 * wait for flow-control credits or a full send queue.
 *
 * <p>Traffic: the transport counts the SessionGrid messages it hands to JGroups and receives from it,
 * by type, with their encoded length ({@link MessageCounter}); JGroups' own messages are not among
 * them.
 *
 * <p>Member identity: a member's {@link Member#id()} is its address UUID; its name and machine, rack
 * and site tags travel inside the address ({@link ExtendedUUID}), so every node derives the same
 * {@code Member} from a view without asking anyone.
 */
public final class ClusterTransport implements Messenger, AutoCloseable {

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
    private final MessageCounter sent;
    private final MessageCounter received;
    private volatile RequestHandler handler = (s, r) -> new GridMessage.Failure("node is starting");
    private volatile Consumer<View> viewListener = v -> { };
    private volatile Map<String, Address> addresses = Map.of();
    /** The members of the view by address, so that a request's sender need not be derived anew. */
    private volatile Map<Address, Member> members = Map.of();
    /** The members of the view by {@link Member#id()}, so that a notice's target need not be derived anew. */
    private volatile Map<String, Member> membersById = Map.of();
    private volatile Member self;
    /** See {@link #requestOptions}; never changed after it is made. */
    private volatile RequestOptions lastOptions;

    /** Counts what the transport dropped, by reason; the grid's metrics read it. */
    public interface DropCounter {
        void dropped(String reason);
    }

    /**
     * Counts SessionGrid messages one way (sent or received), by type; the grid's metrics read it.
     * Counted: every request (once per target member) and every reply this member's transport handed to
     * JGroups, or received from it, including requests refused or answered with a failure; a message
     * that could not be decoded counts as type {@value #MALFORMED}. Not counted: JGroups' own messages
     * (heartbeats, acknowledgements, retransmissions, flow-control credits, views, discovery, merges),
     * and replies JGroups discards because their request already ended (timed out, or its target left).
     */
    @FunctionalInterface
    public interface MessageCounter {
        /**
         * @param slot     the type's wire code ({@link WireCodec#typeCode}), or {@link GridStats#MALFORMED_SLOT}:
         *                 an array index, so that counting a message looks nothing up
         * @param type     the message's type, the simple name of its {@link GridMessage} class
         * @param messages how many messages of the type
         * @param bytes    their encoded length together: SessionGrid's payload, without JGroups' headers and framing
         */
        void count(int slot, String type, int messages, long bytes);
    }

    /** The type messages that could not be decoded are counted under. */
    public static final String MALFORMED = "malformed";

    /** Counts {@code messages} sends of the encoded message {@code bytes}. */
    private void countSent(byte[] bytes, int messages) {
        int code = WireCodec.typeCode(bytes, 0);
        sent.count(code, WireCodec.typeName(code), messages, (long) messages * bytes.length);
    }

    /** Counts the receipt of the message decoded from {@code length} bytes of {@code array} at {@code offset}. */
    private void countReceived(byte[] array, int offset, int length) {
        int code = WireCodec.typeCode(array, offset);
        received.count(code, WireCodec.typeName(code), 1, length);
    }

    private void countMalformed(int length) {
        received.count(GridStats.MALFORMED_SLOT, MALFORMED, 1, length);
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
     * @param sent          counts the messages sent
     * @param received      counts the messages received
     */
    public ClusterTransport(JChannel channel, WireCodec codec, String name, String site, String rack, String machine,
                            int maxHandlers, DropCounter drops, MessageCounter sent, MessageCounter received) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.drops = drops;
        this.sent = Objects.requireNonNull(sent, "sent");
        this.received = Objects.requireNonNull(received, "received");
        channel.name(name);
        channel.addAddressGenerator(() -> {
            ExtendedUUID a = ExtendedUUID.randomUUID(name);
            a.put(KEY_NAME, name.getBytes(StandardCharsets.UTF_8));
            putTag(a, KEY_SITE, site);
            putTag(a, KEY_RACK, rack);
            putTag(a, KEY_MACHINE, machine);
            return a;
        });
        this.executor = new ThreadPoolExecutor(4, maxHandlers, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                MemberThreads.numbered(name, "handler"));
        // Replies complete their requests' futures on the thread that delivered them, also when they arrive
        // in a batch (JGroups would hand a batch's replies to ForkJoinPool.commonPool() on JDKs without
        // virtual threads, as it does not for a single reply): what runs on completion is the reply's
        // decoding and callers' wake-ups, nothing that blocks, and a thread hand-off less per backup's
        // answer on the write path.
        this.dispatcher = new MessageDispatcher(channel).asyncDispatching(true).asyncRspHandling(false);
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
        Map<Address, Member> byAddress = new HashMap<>();
        Map<String, Member> byId = new HashMap<>();
        for (Address a : view.getMembers()) {
            Member member = memberOf(a);
            m.put(member.id(), a);
            byAddress.put(a, member);
            byId.put(member.id(), member);
        }
        addresses = Map.copyOf(m);
        members = Map.copyOf(byAddress);
        membersById = Map.copyOf(byId);
        unseenBy.clear();
        viewListener.accept(view);
    }

    /** This member; known once {@link #connect} began (the address exists before the first view). */
    @Override
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

    /** The member of this member's view whose {@link Member#id()} is {@code id}, else null. */
    public Member memberById(String id) {
        return membersById.get(id);
    }

    /** {@code m}'s JGroups address while it is in this member's view, else null. */
    public Address addressOf(Member m) {
        return addresses.get(m.id());
    }

    @Override
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
    @Override
    public boolean isInView(String memberId) {
        return addresses.containsKey(memberId);
    }

    /** True once this member's channel is closed or disconnected (it stopped or crashed). */
    @Override
    public boolean isClosed() {
        return channel.isClosed() || !channel.isConnected();
    }

    public JChannel channel() {
        return channel;
    }

    private void dispatch(Message msg, Response response) {
        Address src = msg.getSrc();
        Member known = members.get(src);
        Member sender = known != null ? known : memberOf(src);
        GridMessage request;
        try {
            // Read in place: the array may be a larger buffer of which the message is a part.
            request = codec.decode(msg.getArray(), msg.getOffset(), msg.getLength());
        } catch (MalformedMessageException e) {
            countMalformed(msg.getLength());
            drops.dropped(e.reason().name().toLowerCase(java.util.Locale.ROOT));
            LOG.warn("Dropped a malformed message from {}: {}", sender, e.getMessage());
            reply(response, src, new GridMessage.Failure("malformed message: " + e.getMessage()), true);
            return;
        }
        countReceived(msg.getArray(), msg.getOffset(), msg.getLength());
        RequestHandler h = handler;
        GridMessage answer;
        try {
            answer = h.handleWithoutBlocking(sender, request);
        } catch (RuntimeException e) {
            LOG.error("Handling {} from {} failed", request.getClass().getSimpleName(), sender, e);
            answer = new GridMessage.Failure(e.toString());
        }
        if (answer != null) {
            reply(response, src, answer, true);
            return;
        }
        try {
            executor.execute(() -> {
                GridMessage reply;
                try {
                    reply = h.handle(sender, request);
                } catch (RuntimeException e) {
                    LOG.error("Handling {} from {} failed", request.getClass().getSimpleName(), sender, e);
                    reply = new GridMessage.Failure(e.toString());
                }
                reply(response, src, reply, false);
            });
        } catch (RejectedExecutionException e) {
            drops.dropped("busy");
            reply(response, src, new GridMessage.Retry(0), true);
        }
    }

    /**
     * Sends a reply to {@code requester}.
     *
     * @param onJGroupsThread the caller is the JGroups thread that delivered the request, which must not
     *                        block: then the reply bypasses flow control (it is small, and one per request
     *                        that did pass flow control, so it cannot flood the requester) and is dropped
     *                        rather than queued when the transport's send queue is full (UNICAST3, below,
     *                        retransmits it), as JGroups sends its own RPC replies
     */
    private void reply(Response response, Address requester, GridMessage reply, boolean onJGroupsThread) {
        if (response == null) {
            return;
        }
        byte[] bytes = codec.encode(reply);
        // The destination must be the requester: JGroups sends a reply Message as given, and one
        // without a destination would be multicast and could complete another member's request
        // that happens to have the same request id.
        Message m = new BytesMessage(requester, bytes).setFlag(Message.Flag.OOB);
        if (onJGroupsThread) {
            m.setFlag(Message.Flag.NO_FC).setFlag(Message.TransientFlag.DONT_BLOCK);
        }
        try {
            response.send(m, false);
            countSent(bytes, 1);
        } catch (IllegalStateException e) {
            // The channel closed while the handler ran (shutdown): the requester sees this member leave.
            LOG.debug("Reply not sent: {}", e.getMessage());
        } catch (RuntimeException e) {
            // JGroups itself can fail a send while a view or merge is being installed (UNICAST3 can throw
            // a NullPointerException when many merges come at once). The requester times out and retries;
            // the handler thread must survive it.
            LOG.warn("Reply {} to {} not sent: {}", reply.getClass().getSimpleName(), requester, e.toString());
        }
    }

    /**
     * Sends a request and completes with the decoded reply; completes exceptionally with
     * {@link MemberGoneException} if the target is not in the view or leaves before answering, with a
     * {@link java.util.concurrent.TimeoutException} after {@code timeoutMillis}.
     */
    @Override
    public CompletableFuture<GridMessage> request(Member target, GridMessage request, long timeoutMillis) {
        return send(target, codec.encode(request), timeoutMillis);
    }

    /**
     * Sends one request to each target, encoding it once (a primary's change goes to every backup),
     * and returns one future per target in the same order.
     */
    @Override
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
            CompletableFuture<Object> f = dispatcher.sendMessageWithFuture(msg, requestOptions(timeoutMillis));
            countSent(bytes, 1);
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

    /**
     * The options of a request with this timeout. JGroups only reads them (the correlator copies their flags
     * onto the message), so one instance serves every request with the same timeout, which is nearly always
     * {@code remoteTimeout}: the last one made is kept.
     */
    private RequestOptions requestOptions(long timeoutMillis) {
        RequestOptions o = lastOptions;
        if (o == null || o.timeout() != timeoutMillis) {
            o = new RequestOptions(ResponseMode.GET_ALL, timeoutMillis).flags(Message.Flag.OOB);
            lastOptions = o;
        }
        return o;
    }

    private GridMessage decodeReply(Member from, Object rsp) {
        byte[] bytes = rsp instanceof byte[] b ? b : null;
        int length = bytes == null ? 0 : bytes.length;
        try {
            GridMessage reply = codec.decode(bytes);
            countReceived(bytes, 0, length);
            noteReply(from, reply);
            return reply;
        } catch (MalformedMessageException e) {
            countMalformed(length);
            drops.dropped(e.reason().name().toLowerCase(java.util.Locale.ROOT));
            throw new java.util.concurrent.CompletionException(
                    new IllegalStateException("malformed reply from " + from + ": " + e.getMessage()));
        }
    }

    /**
     * Sends a request to every given member (except this one) and waits for all replies, members
     * that leave meanwhile, or the timeout; returns the replies received.
     */
    @Override
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
            byte[] bytes = codec.encode(request);
            // Anycast: one unicast to each destination, counted as such.
            RspList<Object> rsps = dispatcher.castMessage(dests, new BytesMessage(null, bytes)
                    .setFlag(Message.Flag.OOB), new RequestOptions(ResponseMode.GET_ALL, timeoutMillis)
                    .anycasting(true).flags(Message.Flag.OOB));
            countSent(bytes, dests.size());
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
