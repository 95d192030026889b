package org.sessiongrid.suspicion;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.TCP_NIO2;
import org.jgroups.protocols.VERIFY_SUSPECT;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.IpAddress;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.sessiongrid.threads.MemberThreads;
import org.sessiongrid.transport.ClusterTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JGroups protocol directly below VERIFY_SUSPECT2 that every suspicion passes on its way up (FD_SOCK2's,
 * FD_ALL3's and the grid's own, {@link Suspicions}). It passes each on unchanged, and then:
 * <ul>
 *   <li><b>proves a crash.</b> It connects to the port the suspect's process listens on (the transport's own
 *   address on TCP_NIO2; FD_SOCK2's ports otherwise) with a short timeout, off JGroups' threads.
 *   The kernel of a live process accepts into the listen backlog even while the process is stopped, paused or
 *   busy; only a host without a listener on that port refuses. A refusal on every such port is a process that
 *   is gone: the suspicion goes straight to GMS, above VERIFY_SUSPECT2, which excludes the member without
 *   waiting for the verification. An accepted connection, a timeout or any other error proves nothing and
 *   VERIFY_SUSPECT2 decides as always; a port taken again by a restarted process accepts, which is safe.</li>
 *   <li><b>has the suspect answer at once.</b> VERIFY_SUSPECT2's messages travel out of band ({@link #down(Message)}).</li>
 *   <li><b>ends the verification on time.</b> VERIFY_SUSPECT2 checks its suspects with a task at a fixed rate
 *   of its timeout, so a suspect that stays silent was excluded one to two timeouts after the suspicion. This
 *   runs VERIFY_SUSPECT2's check once more when the suspicion's timeout is over: the verdict comes one
 *   timeout after the suspicion, and a member that answered within it stays, as before.</li>
 * </ul>
 * Like VERIFY_SUSPECT2, it acts where the suspicion arrives: failure detection passes its suspicions up only at
 * the member that would coordinate without the suspects, and {@link Suspicions} hands the grid's only there.
 * One INFO line per crash proven; {@link #exitsProven()} and {@link #probesInconclusive()} count the probes.
 *
 * <p>Thread-safe: suspicions arrive on JGroups' threads and the grid's; probes and the timed checks run on
 * this protocol's own threads, started and stopped with the channel.
 */
public final class SuspectProbe extends Protocol {

    private static final Logger LOG = LoggerFactory.getLogger(SuspectProbe.class);

    /**
     * How long a probe waits for the suspect's host to accept: a live host's kernel answers a connection on a
     * LAN in well under a millisecond, and a timeout only means "not proven".
     */
    static final int CONNECT_TIMEOUT_MILLIS = 200;
    /** VERIFY_SUSPECT2 dates a suspect in whole wall-clock milliseconds; its check runs this much later. */
    private static final long CHECK_MARGIN_MILLIS = 5;

    private final String memberName;
    private final Runnable onExitProven;
    private final Set<Address> probing = ConcurrentHashMap.newKeySet();
    private final LongAdder proven = new LongAdder();
    private final LongAdder inconclusive = new LongAdder();
    private volatile ScheduledThreadPoolExecutor threads;
    private volatile View view;

    /**
     * @param memberName   names this protocol's threads
     * @param onExitProven told of each crash proven (a metric)
     */
    SuspectProbe(String memberName, Runnable onExitProven) {
        this.memberName = memberName;
        this.onExitProven = onExitProven;
    }

    /**
     * Inserts a probe directly below the stack's VERIFY_SUSPECT2 (or VERIFY_SUSPECT) of an unconnected channel;
     * a stack without either gets none (nothing verifies its suspicions, so there is nothing to shorten).
     *
     * @return the probe, or {@code null}
     */
    public static SuspectProbe insertInto(JChannel channel, String memberName, Runnable onExitProven) throws Exception {
        ProtocolStack stack = channel.getProtocolStack();
        Protocol verifier = stack.findProtocol(VERIFY_SUSPECT2.class, VERIFY_SUSPECT.class);
        if (verifier == null) {
            return null;
        }
        SuspectProbe probe = new SuspectProbe(memberName, onExitProven);
        probe.setProtocolStack(stack);
        stack.insertProtocolInStack(probe, verifier, ProtocolStack.Position.BELOW);
        return probe;
    }

    /** The probe in {@code channel}'s stack, or {@code null}. */
    public static SuspectProbe of(JChannel channel) {
        return channel.getProtocolStack().findProtocol(SuspectProbe.class);
    }

    /** Suspects this member proved gone by a refused connection. */
    public long exitsProven() {
        return proven.sum();
    }

    /** Probes that proved nothing: the suspect's host accepted, did not answer in time, or could not be reached. */
    public long probesInconclusive() {
        return inconclusive.sum();
    }

    @Override
    public void start() throws Exception {
        super.start();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2, MemberThreads.numbered(memberName, "suspect-probe"));
        t.setRemoveOnCancelPolicy(true);
        threads = t;
    }

    @Override
    public void stop() {
        ScheduledThreadPoolExecutor t = threads;
        threads = null;
        if (t != null) {
            t.shutdownNow();
        }
        probing.clear();
        super.stop();
    }

    /**
     * Marks VERIFY_SUSPECT2's ARE_YOU_DEAD and I_AM_NOT_DEAD out of band. A regular message waits at its receiver
     * behind every earlier regular message from the same sender (JGroups delivers those one at a time per
     * sender): a member busy with a queue of replicates from the verifier answered its check only after them. Out
     * of band, the check is answered on its own thread however long that queue is; it carries no data, and its
     * order with other messages means nothing.
     */
    @Override
    public Object down(Message msg) {
        if (msg.getHeader(up_prot.getId()) != null) {
            msg.setFlag(Message.Flag.OOB);
        }
        return down_prot.down(msg);
    }

    @Override
    public Object down(Event evt) {
        if (evt.getType() == Event.VIEW_CHANGE) {
            view = evt.getArg();
        }
        return down_prot.down(evt);
    }

    @Override
    public Object up(Event evt) {
        if (evt.getType() != Event.SUSPECT || evt.getArg() == null) {
            return up_prot.up(evt);
        }
        List<Address> suspects = suspectsOf(evt.getArg());
        Object result = up_prot.up(evt);
        ScheduledThreadPoolExecutor t = threads;
        if (t == null) {
            return result;
        }
        try {
            if (up_prot instanceof VERIFY_SUSPECT2 verifier) {
                t.schedule(verifier, verifier.getTimeout() + CHECK_MARGIN_MILLIS, TimeUnit.MILLISECONDS);
            }
            for (Address suspect : suspects) {
                if (probing.add(suspect)) {
                    t.execute(() -> {
                        try {
                            probe(suspect);
                        } finally {
                            probing.remove(suspect);
                        }
                    });
                }
            }
        } catch (RejectedExecutionException stopping) {
            // the channel is stopping: VERIFY_SUSPECT2 and GMS stop with it
        }
        return result;
    }

    private List<Address> suspectsOf(Object arg) {
        Collection<?> c = arg instanceof Collection<?> many ? many : List.of(arg);
        List<Address> out = new ArrayList<>();
        for (Object o : c) {
            if (o instanceof Address a && !a.equals(local_addr)) {
                out.add(a);
            }
        }
        return out;
    }

    private void probe(Address suspect) {
        List<InetSocketAddress> ports = listeningPorts(suspect);
        if (ports.isEmpty()) {
            return;
        }
        for (InetSocketAddress port : ports) {
            if (!refused(port)) {
                inconclusive.increment();
                LOG.debug("{}: the probe of {} at {} proved nothing; JGroups' verification decides", memberName,
                        ClusterTransport.memberOf(suspect), hostPort(port));
                return;
            }
        }
        View v = view;
        if (v == null || !v.containsMember(suspect) || threads == null) {
            return;
        }
        proven.increment();
        onExitProven.run();
        LOG.info("{} refused a connection at {}: its process is gone; excluded without waiting for verification",
                ClusterTransport.memberOf(suspect), describe(ports));
        up_prot.getUpProtocol().up(new Event(Event.SUSPECT, List.of(suspect)));
    }

    /**
     * Where the suspect's process listens: the transport's address when the transport is TCP_NIO2 (its physical
     * address is its listening socket, and it closes a connection that sends nothing without a word); else
     * every port FD_SOCK2 may have taken on that host, all of which must refuse (UDP has no listening socket;
     * JGroups' blocking TCP transport logs a warning with a stack trace for every connection that closes
     * before naming its sender, so probing it would litter a live suspect's log); else none (an in-memory
     * transport: nothing to probe).
     */
    private List<InetSocketAddress> listeningPorts(Address suspect) {
        Object physical = down_prot.down(new Event(Event.GET_PHYSICAL_ADDRESS, suspect));
        if (!(physical instanceof IpAddress ip) || ip.getIpAddress() == null) {
            return List.of();
        }
        if (getTransport() instanceof TCP_NIO2) {
            return List.of(new InetSocketAddress(ip.getIpAddress(), ip.getPort()));
        }
        FD_SOCK2 fd = getProtocolStack().findProtocol(FD_SOCK2.class);
        if (fd == null) {
            return List.of();
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (int i = 0; i <= fd.getPortRange(); i++) {
            int port = ip.getPort() + fd.getOffset() + i;
            if (port <= 0 || port > 65_535) {
                return List.of();
            }
            out.add(new InetSocketAddress(ip.getIpAddress(), port));
        }
        return out;
    }

    /** Only a refusal counts: a timeout, an unreachable host or any other error is not proof of an exit. */
    private static boolean refused(InetSocketAddress port) {
        try (Socket s = new Socket()) {
            s.connect(port, CONNECT_TIMEOUT_MILLIS);
            return false;
        } catch (ConnectException e) {
            String m = e.getMessage();
            return m != null && m.toLowerCase(Locale.ROOT).contains("refused");
        } catch (IOException e) {
            return false;
        }
    }

    private static String describe(List<InetSocketAddress> ports) {
        return ports.stream().map(SuspectProbe::hostPort).collect(Collectors.joining(", "));
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
