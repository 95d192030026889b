package org.sessiongrid.suspicion;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.protocols.VERIFY_SUSPECT;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.topology.Topology;
import org.sessiongrid.transport.ClusterTransport;
import org.sessiongrid.wire.GridMessage;
import org.sessiongrid.wire.GridMessage.Ack;
import org.sessiongrid.wire.GridMessage.Suspect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a silence into a suspicion that JGroups verifies. A member waiting for another's answer longer than
 * {@code backupTimeout} calls {@link #suspect}; the suspicion goes to every member ({@link Suspect}), as FD_SOCK2
 * spreads its own. Each member keeps the members suspected lately, and the one that would coordinate without
 * them (the coordinator, or the next in line when the coordinator is among them, as after a partition that
 * took both) hands each to its own VERIFY_SUSPECT2, below GMS. VERIFY_SUSPECT2 asks the suspect (ARE_YOU_DEAD,
 * answered by its JGroups stack, not by the grid) and, if no answer comes within its timeout, passes the
 * suspicion up to GMS, which excludes the member as it excludes one that failure detection suspected. A
 * participant's GMS acts only on suspicions that make it the coordinator, hence the choice of the verifier. The
 * requests waiting for the excluded member then fail as after any departure and are retried under the next
 * topology. A suspicion is a guess made on a timeout: it never has the last owners of a segment checked, nor any
 * member while suspicion is widespread (a starved machine); those are left to failure detection
 * ({@link ExclusionRule}).
 *
 * <p>A member's own suspicion also tells the others that it is alive and waiting for another member:
 * {@link #waitsForAnotherNanos} lets a caller of that member wait on without suspecting it second-hand (docs/design.md,
 * "A silent member").
 *
 * <p>One line per suspicion raised ({@link GridStats#suspicionRaised}), per verification started, per suspect
 * excluded ({@link GridStats#suspectExcluded}) and per suspect kept because it answered.
 *
 * <p>Thread-safe: called by request threads, the transport's handler threads and the view listener.
 */
public final class Suspicions implements Suspector {

    private static final Logger LOG = LoggerFactory.getLogger(Suspicions.class);

    private final JChannel channel;
    private final ClusterTransport transport;
    private final GridStats stats;
    private final long remoteTimeoutMillis;
    /** How long one verification runs: VERIFY_SUSPECT2's timeout, after which the verdict comes, and a margin. */
    private final long verificationNanos;
    /** A suspicion and the verification it starts: backupTimeout, then the verification. */
    private final long quietNanos;
    /** How long a member's own suspicion says that it waits for another: until it could have raised the next. */
    private final long waitingNanos;
    /** Suspicions this member raised, by member id: at most one per member per {@link #quietNanos}. */
    private final Map<String, Suspicion> raised = new ConcurrentHashMap<>();
    /** Members suspected lately by this member or another, by member id, this member never among them. */
    private final Map<String, Suspicion> suspected = new ConcurrentHashMap<>();
    /** Verifications this member started, by member id: at most one per member at a time. */
    private final Map<String, Long> verifying = new ConcurrentHashMap<>();
    /** When each member last told this one of a suspicion of its own (nanoTime), by member id. */
    private final Map<String, Long> suspecting = new ConcurrentHashMap<>();
    private final AtomicBoolean warnedNoVerifier = new AtomicBoolean();
    private final BooleanSupplier pausedNow;
    private final long backupTimeoutMillis;
    private final Supplier<Topology> installed;
    /** Suspicions raised lately, by this member or another, with when this member learnt of each (nanoTime). */
    private final Map<ExclusionRule.Suspected, Long> lately = new ConcurrentHashMap<>();
    /** When this member last left each suspect to failure detection (nanoTime), by member id: one line per window. */
    private final Map<String, Long> deferred = new ConcurrentHashMap<>();
    private volatile boolean probeEveryMember;

    private record Suspicion(Member member, String why, Member raisedBy, long atNanos) {
    }

    /**
     * @param backupTimeoutMillis the silence that raises a suspicion; with the stack's verification timeout it
     *                            sets how long a suspicion of a member stands before another may be raised
     * @param pausedNow           true while this member itself was just paused (its pause detector's clock is
     *                            overdue, or it checks whether it was excluded): it raises no suspicion then
     * @param installed           the installed topology (null before the first): a suspect whose exclusion would
     *                            leave a segment of it without an owner is left to failure detection
     */
    public Suspicions(JChannel channel, ClusterTransport transport, GridStats stats, long backupTimeoutMillis,
                      long remoteTimeoutMillis, BooleanSupplier pausedNow, Supplier<Topology> installed) {
        this.pausedNow = pausedNow;
        this.installed = installed;
        this.backupTimeoutMillis = backupTimeoutMillis;
        this.channel = channel;
        this.transport = transport;
        this.stats = stats;
        this.remoteTimeoutMillis = remoteTimeoutMillis;
        // The verdict comes when VERIFY_SUSPECT2's timeout is over (SuspectProbe runs its check then): a second
        // verification of the same member before then would only repeat the first, one after it asks again (the
        // member answered the first, or was still reachable when a partition was being cut).
        this.verificationNanos = TimeUnit.MILLISECONDS.toNanos(verifyTimeoutMillis(channel) + VERDICT_MARGIN_MILLIS);
        this.quietNanos = TimeUnit.MILLISECONDS.toNanos(backupTimeoutMillis) + verificationNanos;
        this.waitingNanos = quietNanos + TimeUnit.MILLISECONDS.toNanos(backupTimeoutMillis);
    }

    /** How long after a verification's timeout its verdict may still be on its way (the probe's check, a busy thread). */
    static final long VERDICT_MARGIN_MILLIS = 100;

    /**
     * Under {@code partitionPolicy=minority-refuses-writes}: a suspicion's notice is also a probe, and every member
     * that does not answer it within {@code backupTimeout} is suspected too. A cut takes several members at once and
     * writes wait for them one at a time; suspected together, they are verified together by the member that would
     * coordinate without all of them (on the side of a cut without the coordinator, none verifies until every
     * member ahead of it is suspected), and each side's views lose the other side within one verification. The
     * coordinator judges each step against the membership before it and counts only members that answer
     * ({@code topology.MajorityRule}), so views that lose them one at a time never let a minority serve.
     */
    public Suspicions probingEveryMemberIf(boolean minorityRefuses) {
        this.probeEveryMember = minorityRefuses;
        if (minorityRefuses) {
            LOG.info("partitionPolicy=minority-refuses-writes: a suspicion probes every member, and those that do not"
                    + " answer within {} ms are suspected with it", backupTimeoutMillis);
        }
        return this;
    }

    /** The timeout of the stack's VERIFY_SUSPECT2 (or VERIFY_SUSPECT); 0 if it has neither. */
    public static long verifyTimeoutMillis(JChannel channel) {
        Protocol p = verifier(channel);
        return p instanceof VERIFY_SUSPECT2 v ? v.getTimeout() : p instanceof VERIFY_SUSPECT v ? v.getTimeout() : 0;
    }

    private static Protocol verifier(JChannel channel) {
        return channel.getProtocolStack().findProtocol(VERIFY_SUSPECT2.class, VERIFY_SUSPECT.class);
    }

    @Override
    public void suspect(Member member, String why) {
        Member self = transport.self();
        if (member.equals(self) || !transport.isInView(member) || transport.isClosed()) {
            return;
        }
        if (pausedNow.getAsBoolean()) {
            // Its own pause ran out every wait it had: the silence was this member's, not the other's. Suspecting
            // every member it waited for would have JGroups check them all at once, each excluded if it answers late.
            LOG.debug("{} does not suspect {} ({}): it was paused itself", self, member, why);
            return;
        }
        long now = System.nanoTime();
        Suspicion mine = new Suspicion(member, why, self, now);
        if (raised.merge(member.id(), mine, (old, fresh) -> now - old.atNanos() < quietNanos ? old : fresh) != mine) {
            return;
        }
        stats.suspicionRaised();
        LOG.warn("{} suspects {}: {}; the member that would coordinate without it has JGroups check it and exclude it"
                + " if it is silent (a member that answers stays)", self, member, why);
        List<Member> others = transport.viewMembers().stream().filter(m -> !m.equals(self) && !m.equals(member)).toList();
        List<CompletableFuture<GridMessage>> told = transport.requestEach(others, new Suspect(member.id(), why),
                remoteTimeoutMillis);
        told.forEach(f -> f.whenComplete((r, e) -> {
            if (e != null) {
                LOG.debug("{} could not tell a member of its suspicion of {}: {}", self, member, e.toString());
            }
        }));
        note(mine);
        if (probeEveryMember) {
            CompletableFuture.delayedExecutor(backupTimeoutMillis, TimeUnit.MILLISECONDS).execute(() -> {
                for (int i = 0; i < others.size(); i++) {
                    if (!told.get(i).isDone()) {
                        suspect(others.get(i), "no answer within " + backupTimeoutMillis + " ms to the notice that "
                                + self + " suspects " + member);
                    }
                }
            });
        }
    }

    /**
     * How much longer {@code member} is known to be waiting for another member: it raised a suspicion of its own
     * lately and told this one ({@link Suspect}). Such a member is alive (it sent the notice) and slow only
     * because it waits; a caller waiting for it need not suspect it too, since its own suspicion already has
     * the member it waits for checked. The notice holds for backupTimeout and a verification, after which that
     * member is excluded or has answered, plus backupTimeout (the suspecting member raises its next suspicion of
     * a still silent member then).
     *
     * @return nanoseconds, 0 if nothing is known
     */
    @Override
    public long waitsForAnotherNanos(Member member) {
        Long at = suspecting.get(member.id());
        return at == null ? 0 : Math.max(0, at + waitingNanos - System.nanoTime());
    }

    /** Another member's suspicion ({@link Suspect}). */
    public GridMessage received(Member from, Suspect s) {
        Member self = transport.self();
        suspecting.put(from.id(), System.nanoTime());
        transport.viewMembers().stream().filter(m -> m.id().equals(s.memberId()) && !m.equals(self)).findFirst()
                .ifPresent(target -> note(new Suspicion(target, s.reason(), from, System.nanoTime())));
        return new Ack();
    }

    /**
     * Records a suspicion; if this member is the first of its view once every member suspected lately by another
     * member is left out ({@link #leftOutOfOrder}), it has JGroups check those whose exclusion keeps every segment an
     * owner ({@link #verifyKeepingOwners}; its GMS then excludes those that stay silent).
     */
    private void note(Suspicion s) {
        long now = System.nanoTime();
        suspected.put(s.member().id(), s);
        suspected.values().removeIf(x -> now - x.atNanos() > quietNanos || !transport.isInView(x.member()));
        lately.put(new ExclusionRule.Suspected(s.raisedBy().id(), s.member().id()), now);
        lately.entrySet().removeIf(e -> now - e.getValue() > quietNanos || !transport.isInView(e.getKey().member()));
        Member self = transport.self();
        List<Member> view = transport.viewMembers();
        Member first = view.stream().filter(m -> m.equals(self) || !leftOutOfOrder(m, self, view.size()))
                .findFirst().orElse(null);
        if (self.equals(first)) {
            verifyKeepingOwners(now, view);
        }
    }

    /**
     * True if {@code m}, ahead of this member in the view, is left out when finding the member that acts on
     * suspicions: suspected lately by a member other than this one. A member does not take over on its own word: a
     * slow member (a starved machine) suspects the members ahead of it first-hand, before it hears that they suspect
     * it, and acting then it checks the coordinator while the coordinator checks others, which splits the view. In a
     * view of two nobody else can speak.
     */
    private boolean leftOutOfOrder(Member m, Member self, int viewSize) {
        if (viewSize <= 2) {
            return suspected.containsKey(m.id());
        }
        for (ExclusionRule.Suspected x : lately.keySet()) {
            if (x.member().equals(m.id()) && !x.by().equals(self.id())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Has JGroups check the suspects whose exclusion keeps an owner of every segment, while suspicion is not
     * widespread ({@link ExclusionRule}); one line and {@link GridStats#exclusionDeferred} per suspect left to
     * failure detection, at most one per suspect per window.
     */
    private void verifyKeepingOwners(long now, List<Member> view) {
        Topology t = installed.get();
        List<Member> going = new ArrayList<>();
        if (t != null) {
            t.members().stream().filter(m -> !view.contains(m)).forEach(going::add);
        }
        verifying.forEach((id, at) -> {
            if (now - at < verificationNanos) {
                view.stream().filter(m -> m.id().equals(id)).findFirst().ifPresent(going::add);
            }
        });
        List<Suspicion> candidates = suspected.values().stream().filter(x -> !going.contains(x.member()))
                .sorted(Comparator.comparingLong(Suspicion::atNanos)).toList();
        ExclusionRule.Decision d = ExclusionRule.decide(t, going, candidates.stream().map(Suspicion::member).toList(),
                lately.keySet(), view.size() - 1);
        for (Suspicion s : candidates) {
            if (d.check().contains(s.member())) {
                verify(s);
            }
        }
        for (ExclusionRule.Deferral x : d.deferred()) {
            if (deferred.merge(x.member().id(), now, (old, fresh) -> now - old < quietNanos ? old : fresh) != now) {
                continue;
            }
            stats.exclusionDeferred();
            if (d.widespread()) {
                LOG.warn("{} leaves {} to failure detection: {} of the {} other members were suspected within {} ms,"
                        + " by several members, so the machine or the network is slow rather than they are gone;"
                        + " writes waiting for it wait for its answer or for failureDetectionTimeout", transport.self(),
                        x.member(), suspected.size(), view.size() - 1, TimeUnit.NANOSECONDS.toMillis(quietNanos));
            } else {
                LOG.warn("{} leaves {} to failure detection: excluding it now would leave {} segments without an owner"
                        + " (segment {}: owners {}, all leaving or suspected); writes waiting for it wait for its answer"
                        + " or for failureDetectionTimeout instead of losing those sessions", transport.self(),
                        x.member(), x.segments(), x.segment(), x.owners());
            }
        }
    }

    private void verify(Suspicion s) {
        long now = System.nanoTime();
        Long started = verifying.merge(s.member().id(), now, (old, fresh) -> now - old < verificationNanos ? old : fresh);
        if (started != now) {
            return;
        }
        Protocol verifier = verifier(channel);
        Address address = addressOf(s.member());
        if (verifier == null || address == null) {
            if (verifier == null && warnedNoVerifier.compareAndSet(false, true)) {
                LOG.warn("{} cannot act on suspicions: its JGroups stack has no VERIFY_SUSPECT2, so only failure"
                        + " detection excludes a silent member", transport.self());
            }
            return;
        }
        long verifyMillis = verifyTimeoutMillis(channel);
        Member self = transport.self();
        LOG.info("{} has JGroups check {} (suspected by {}: {}); it is excluded unless it answers within {} ms", self,
                s.member(), s.raisedBy().equals(self) ? "this member" : s.raisedBy(), s.why(), verifyMillis);
        // Through the probe below the verifier when the stack has it: a suspect whose process is gone is excluded
        // at once, and the verdict on a silent one comes when its timeout is over.
        SuspectProbe probe = SuspectProbe.of(channel);
        (probe != null ? probe : verifier).up(new Event(Event.SUSPECT, List.of(address)));
        // A member that answered stays: say so once its verification must be over.
        CompletableFuture.delayedExecutor(2 * verifyMillis + 1_000, TimeUnit.MILLISECONDS).execute(() -> {
            if (transport.isInView(s.member()) && !transport.isClosed()) {
                LOG.info("{} answered JGroups' check and stays in the view: slow, not silent ({})", s.member(), s.why());
            }
        });
    }

    private Address addressOf(Member m) {
        View v = channel.getView();
        if (v == null) {
            return null;
        }
        for (Address a : v.getMembers()) {
            if (ClusterTransport.memberOf(a).id().equals(m.id())) {
                return a;
            }
        }
        return null;
    }

    /**
     * Called with every view: a member this member suspected lately and the view left out was excluded (by the
     * suspicion, or by failure detection at the same time); one line and {@link GridStats#suspectExcluded}.
     */
    public void onView(View view) {
        long now = System.nanoTime();
        raised.values().removeIf(r -> {
            if (transport.isInView(r.member())) {
                return now - r.atNanos() > quietNanos;
            }
            if (now - r.atNanos() <= quietNanos) {
                stats.suspectExcluded();
                LOG.warn("{} was excluded from the view {} ms after this member suspected it ({}); the writes that waited"
                        + " for it go on with the other owners, and it rejoins when it answers again", r.member(),
                        TimeUnit.NANOSECONDS.toMillis(now - r.atNanos()), r.why());
            }
            return true;
        });
        suspected.values().removeIf(x -> !transport.isInView(x.member()));
        verifying.keySet().removeIf(id -> !transport.isInView(id));
        suspecting.keySet().removeIf(id -> !transport.isInView(id));
        deferred.keySet().removeIf(id -> !transport.isInView(id));
        lately.keySet().removeIf(x -> !transport.isInView(x.member()));
    }
}
