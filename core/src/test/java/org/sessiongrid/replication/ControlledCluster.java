package org.sessiongrid.replication;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.MemberGoneException;
import org.sessiongrid.transport.Messenger;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.CommitRequest;
import org.sessiongrid.wire.GridMessage.Failure;
import org.sessiongrid.wire.GridMessage.ReadRequest;
import org.sessiongrid.wire.GridMessage.ReplicateRequest;
import org.sessiongrid.wire.GridMessage.StateDigest;
import org.sessiongrid.wire.GridMessage.StateRequest;
import org.sessiongrid.wire.GridMessage.TouchBatch;

/**
 * Members whose {@link Replicator}s talk through an in-memory {@link Messenger} that the test controls,
 * after Infinispan's {@code ControlledRpcManager}: every request is recorded; by default it is delivered
 * to the target's replicator on another thread, as the transport would; a test can instead hold the
 * requests a predicate matches (and later deliver them or answer them itself) or answer them with a
 * scripted reply. Views are per member and set by the test. No JGroups, no network.
 */
final class ControlledCluster implements AutoCloseable {

    static final int SEGMENTS = 16;

    /** One member: its store, its installed topology, its replicator. */
    final class Node {
        final Member member;
        final RecordStore records = new RecordStore(SEGMENTS);
        final InstalledTopology topology = new InstalledTopology();
        final GridStats stats = new GridStats();
        final List<Long> catchUps = new CopyOnWriteArrayList<>();
        volatile Set<Member> view;
        volatile boolean refusesWrites;
        final Messenger messenger = new NodeMessenger(this);
        final Replicator replicator;

        Node(Member member, Function<Replicator.Builder, Replicator.Builder> settings) {
            this.member = member;
            this.view = Set.copyOf(members);
            this.replicator = settings.apply(Replicator.builder(messenger, topology, records)
                    .remoteTimeoutMillis(2_000)
                    .expirySlackMillis(0)
                    .tombstoneSeconds(600)
                    .stats(stats)
                    .catchUp(catchUps::add)
                    .refusesWritesWhen(() -> refusesWrites)).build();
        }
    }

    /** A request one member sent another, and its reply once there is one. */
    final class Call {
        final Member from;
        final Member to;
        final GridMessage request;
        final CompletableFuture<GridMessage> reply = new CompletableFuture<>();

        Call(Member from, Member to, GridMessage request) {
            this.from = from;
            this.to = to;
            this.request = request;
        }

        /** Delivers a held call to its target, as if it had never been held. */
        void deliver() {
            deliverAsync(this);
        }

        /** Answers a held call without delivering it. */
        void answer(GridMessage r) {
            reply.complete(r);
        }

        @Override
        public String toString() {
            return from.name() + " -> " + to.name() + ": " + request;
        }
    }

    private record Script(Predicate<Call> matches, Function<Call, GridMessage> reply, int[] timesLeft) {
    }

    private final List<Member> members;
    private final Map<Member, Node> nodes = new LinkedHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "controlled-cluster");
        t.setDaemon(true);
        return t;
    });
    /** Every request sent, in the order sent. */
    final List<Call> sent = new CopyOnWriteArrayList<>();
    private final List<Predicate<Call>> holds = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Call> held = new LinkedBlockingQueue<>();
    private final List<Script> scripts = new CopyOnWriteArrayList<>();

    ControlledCluster(Member... members) {
        this(b -> b, members);
    }

    ControlledCluster(Function<Replicator.Builder, Replicator.Builder> settings, Member... members) {
        this.members = List.of(members);
        for (Member m : members) {
            nodes.put(m, new Node(m, settings));
        }
    }

    Node node(Member m) {
        return nodes.get(m);
    }

    /** The topology of every member at {@code id}, with every member an owner of every segment. */
    Topology topology(long id) {
        return new Topology(id, Phase.NONE, members.size(), Placement.create(members, SEGMENTS, members.size()), null);
    }

    /** Installs {@code t} on every member. */
    void installEverywhere(Topology t) {
        nodes.values().forEach(n -> n.topology.install(t));
    }

    /** A key of namespace "ns" whose segment's primary under {@code t} is {@code primary}. */
    SessionKey keyWithPrimary(Topology t, Member primary) {
        RecordStore any = nodes.values().iterator().next().records;
        for (int i = 0; ; i++) {
            SessionKey k = new SessionKey("ns", "s" + i);
            if (primary.equals(t.primary(any.segmentOf(k)))) {
                return k;
            }
        }
    }

    /** From now on, requests {@code matches} accepts are held until the test delivers or answers them. */
    void hold(Predicate<Call> matches) {
        holds.add(matches);
    }

    /** Stops holding (calls held already stay held). */
    void holdNothing() {
        holds.clear();
    }

    /** The next held call, waiting up to 10 s for one. */
    Call nextHeld() throws InterruptedException {
        Call c = held.poll(10, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no call was held; sent: " + sent);
        }
        return c;
    }

    /** The next held call within {@code millis}, or null. */
    Call heldWithin(long millis) throws InterruptedException {
        return held.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Answers the next {@code times} requests {@code matches} accepts with {@code reply}, undelivered. */
    void answer(Predicate<Call> matches, int times, Function<Call, GridMessage> reply) {
        scripts.add(new Script(matches, reply, new int[] {times}));
    }

    /** Requests from {@code from} to {@code to} carrying a message of {@code type}. */
    static Predicate<Call> from(Member from, Member to, Class<? extends GridMessage> type) {
        return c -> c.from.equals(from) && c.to.equals(to) && type.isInstance(c.request);
    }

    /** The requests sent to {@code to} carrying a message of {@code type}. */
    <M extends GridMessage> List<M> sentTo(Member to, Class<M> type) {
        List<M> out = new ArrayList<>();
        for (Call c : sent) {
            if (c.to.equals(to) && type.isInstance(c.request)) {
                out.add(type.cast(c.request));
            }
        }
        return out;
    }

    private CompletableFuture<GridMessage> send(Node from, Member to, GridMessage request) {
        if (!from.view.contains(to)) {
            return CompletableFuture.failedFuture(new MemberGoneException(to + " is not in the view"));
        }
        Call call = new Call(from.member, to, request);
        sent.add(call);
        for (Script s : scripts) {
            synchronized (s) {
                if (s.timesLeft()[0] > 0 && s.matches().test(call)) {
                    s.timesLeft()[0]--;
                    call.reply.complete(s.reply().apply(call));
                    return call.reply;
                }
            }
        }
        for (Predicate<Call> h : holds) {
            if (h.test(call)) {
                held.add(call);
                return call.reply;
            }
        }
        deliverAsync(call);
        return call.reply;
    }

    private void deliverAsync(Call call) {
        executor.execute(() -> {
            try {
                call.reply.complete(deliver(call));
            } catch (RuntimeException | Error e) {
                call.reply.completeExceptionally(e);
            }
        });
    }

    /** What the target's request handler answers. */
    private GridMessage deliver(Call call) {
        Replicator target = nodes.get(call.to).replicator;
        GridMessage m = call.request;
        if (m instanceof ReplicateRequest r) {
            return target.replicate(r, true);
        }
        if (m instanceof CommitRequest r) {
            return target.commit(r, call.from.id());
        }
        if (m instanceof ReadRequest r) {
            return target.read(r, call.from.id());
        }
        if (m instanceof StateRequest r) {
            return target.stateChunk(r, 512);
        }
        if (m instanceof StateDigest d) {
            return target.stateDiff(d, 512);
        }
        if (m instanceof TouchBatch b) {
            target.touch(b);
            return new Ack();
        }
        return new Failure("no handler for " + m.getClass().getSimpleName());
    }

    private final class NodeMessenger implements Messenger {
        private final Node node;

        NodeMessenger(Node node) {
            this.node = node;
        }

        @Override
        public Member self() {
            return node.member;
        }

        @Override
        public boolean isInView(Member m) {
            return node.view.contains(m);
        }

        @Override
        public boolean isInView(String memberId) {
            return node.view.stream().anyMatch(m -> m.id().equals(memberId));
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public CompletableFuture<GridMessage> request(Member target, GridMessage request, long timeoutMillis) {
            return send(node, target, request).orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public Map<Member, GridMessage> requestAll(Collection<Member> targets, GridMessage request, long timeoutMillis) {
            Map<Member, CompletableFuture<GridMessage>> futures = new HashMap<>();
            for (Member t : targets) {
                if (!t.equals(node.member)) {
                    futures.put(t, request(t, request, timeoutMillis));
                }
            }
            Map<Member, GridMessage> out = new HashMap<>();
            futures.forEach((m, f) -> {
                try {
                    out.put(m, f.get());
                } catch (Exception e) {
                    // Gone or silent: no reply from it.
                }
            });
            return out;
        }
    }

    @Override
    public void close() {
        held.forEach(c -> c.reply.complete(new Failure("test over")));
        executor.shutdownNow();
    }
}
