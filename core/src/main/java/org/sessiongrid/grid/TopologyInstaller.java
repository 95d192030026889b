package org.sessiongrid.grid;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.sessiongrid.metrics.GridStats;
import org.sessiongrid.placement.Member;
import org.sessiongrid.store.KeptCopies;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs topologies on this member, and forgets them for a rejoin (setting its records aside). An install is one step with what
 * follows from it: the parts that note the new topology (expiry's new primaries, the copy holders a
 * primary forgets), the drop of segments this member no longer keeps, the start of a rebalance's pull.
 *
 * <p>Topologies come from four threads (a joining thread, the coordinator's own, a transport handler
 * with a coordinator's update, a catch-up), so every install and its follow-up run under this installer's
 * lock, in topology order: a late follow-up of an older topology would otherwise drop a segment that a
 * newer one, already installed, gives back to this member, with the writes made under it. The lock is
 * not a thread of its own because callers need the install done before they answer (the coordinator
 * counts a member's answer as installed).
 *
 * <p>A member that set its copies aside to rejoin and installs, before its join is answered, a topology in which
 * it is the only owner of segments it read from when it set them aside (the coordinator keeps a rejoining member
 * the owner of the segments nobody else holds) puts its kept copies of those segments back before the install:
 * they are the only copies there are, and the newest (see design.md, "The rejoin of a segment's only owner").
 */
final class TopologyInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(TopologyInstaller.class);

    private final InstalledTopology installed;
    private final RecordStore records;
    private final Supplier<Member> self;
    private final BiConsumer<Topology, Topology> noteInstalled;
    private final BiConsumer<Topology, Member> pull;
    private final BooleanSupplier joined;
    private final GridStats stats;
    /** Held for an install and its follow-up, and for {@link #forgetAll}. */
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * @param noteInstalled told (previous, installed) of every install, before segments are dropped
     * @param pull          starts pulling what this member gains in a rebalance topology, to be confirmed to
     *                      the member that decided it (must not block)
     * @param joined        whether this member's join was answered (false while it starts or rejoins)
     */
    TopologyInstaller(InstalledTopology installed, RecordStore records, Supplier<Member> self,
                      BiConsumer<Topology, Topology> noteInstalled, BiConsumer<Topology, Member> pull,
                      BooleanSupplier joined, GridStats stats) {
        this.installed = installed;
        this.records = records;
        this.self = self;
        this.noteInstalled = noteInstalled;
        this.pull = pull;
        this.joined = joined;
        this.stats = stats;
    }

    /**
     * Installs {@code t}, decided by {@code decidedBy}, if it is newer than the installed topology; returns
     * whether it did.
     */
    boolean install(Topology t, Member decidedBy) {
        if (t == null) {
            return false;
        }
        lock.lock();
        try {
            Topology previous = installed.get();
            if (previous != null && previous.id() >= t.id()) {
                return false;
            }
            if (!joined.getAsBoolean()) {
                restoreOnlyCopies(t);
            }
            if (!installed.install(t)) {
                return false;
            }
            noteInstalled.accept(previous, t);
            Member me = self.get();
            LOG.debug("{} installed topology {} ({})", me, t.id(), t.phase());
            if (t.phase() == Phase.NONE) {
                int dropped = 0;
                for (int s = 0; s < t.numSegments(); s++) {
                    if (!t.keeps(me, s) && records.size(s) > 0) {
                        dropped += records.dropSegment(s);
                    }
                }
                if (dropped > 0) {
                    LOG.debug("{} dropped {} records of segments it no longer owns", me, dropped);
                }
            } else if (t.phase() == Phase.READ_OLD_WRITE_ALL && t.members().contains(me)) {
                pull.accept(t, decidedBy);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The segments this member kept copies of when it set its records aside, for its join (empty when none). */
    BitSet keptSegments() {
        return records.kept().segments();
    }

    /**
     * Forgets the installed topology and moves every record aside ({@link RecordStore#kept()}), for a member that must
     * rejoin without data it serves: the kept copies are only offered to the sources of its pulls, which say
     * which are still current. Changes in progress under the forgotten topology end first, as an install waits
     * for them: one landing after the move would leave a possibly stale copy behind, served.
     *
     * @param awaySinceNanos when the absence that cost this member its place began
     * @return the number of records set aside
     */
    int forgetAll(long awaySinceNanos) {
        lock.lock();
        try {
            Topology forgotten = installed.get();
            installed.clear();
            // Changes that entered before the clear store their record before the move; later ones are
            // refused, as no topology is installed.
            installed.awaitChangesInProgress();
            BitSet held = new BitSet();
            if (forgotten != null) {
                Member me = self.get();
                for (int s = 0; s < forgotten.numSegments(); s++) {
                    held.set(s, forgotten.readTable().isOwner(me, s));
                }
            }
            return records.setAside(awaySinceNanos, held);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts back the kept copies of every segment {@code t} gives this member alone and that it read from when it
     * set them aside: every write acknowledged on such a segment reached this member, which set its copies aside
     * only after the changes in progress and accepted none since; and nobody else can have acknowledged one, as
     * a topology in which another member owns the segment without this one ends only in one without this member
     * (a crash, an exclusion) or in the hand-over of the segment's data, which this member did not serve.
     */
    private void restoreOnlyCopies(Topology t) {
        KeptCopies kept = records.kept();
        Member me = self.get();
        int segments = 0;
        int restored = 0;
        int notHeld = 0;
        for (int s = 0; s < t.numSegments(); s++) {
            List<Member> owners = t.writeOwners(s);
            if (owners.size() != 1 || !owners.get(0).equals(me) || kept.segment(s).isEmpty()) {
                continue;
            }
            if (!kept.heldWhenSetAside(s)) {
                notHeld++;
                continue;
            }
            restored += kept.restore(s, records);
            segments++;
        }
        if (segments > 0) {
            stats.restoredSegments(segments, restored);
            LOG.info("{} restored {} sessions of {} segments it is the only owner of in topology {} from the copies it"
                    + " set aside to rejoin: nobody else holds them, so nobody else can have acknowledged a write on"
                    + " them meanwhile", me, restored, segments, t.id());
        }
        if (notHeld > 0) {
            LOG.info("{} is the only owner of {} segments in topology {} whose copies it kept but did not hold whole"
                    + " when it set them aside: they are not restored from them", me, notHeld, t.id());
        }
    }
}
